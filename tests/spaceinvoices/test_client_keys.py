"""Contract tests: entity API keys."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from spaceinvoices.client import InvalidRequest, Unauthorized

from .conftest import issue_paths


def test_created_key_is_shown_once_and_listed_masked(si, entity, simulator):
    created = si.api_key_create(entity.id, name="portal")
    assert re.fullmatch(r"ek_sandbox_[0-9a-f]{32}", created.secret)
    assert created.secret not in repr(created)
    assert created.prefix_hint == f"ek_sandbox_{created.secret[11:14]}...{created.secret[-3:]}"
    listed = si.api_keys_list(entity.id)
    assert [k.prefix_hint for k in listed] == [created.prefix_hint]
    raw = simulator.api(
        "GET", "/entities/api-keys", si._api_key, headers={"x-entity-id": entity.id}
    )
    assert created.secret not in raw.text
    assert simulator.stats()["api_keys"] == 1


def test_entity_key_acts_on_its_entity_and_stops_when_deleted(si, entity, entity_key):
    with_key = si.with_key(entity_key)
    assert with_key.environment == "sandbox"
    second = with_key.api_key_create(entity.id, name="second").secret
    si.api_key_delete(entity.id, entity_key)
    with pytest.raises(Unauthorized):
        with_key.api_keys_list(entity.id)
    assert len(si.with_key(second).api_keys_list(entity.id)) == 1


def test_ttl_sets_expiry_and_is_validated(si, entity):
    created = si.api_key_create(entity.id, ttl=300)
    expected = datetime.now(UTC) + timedelta(seconds=300)
    assert abs((created.expires_at - expected).total_seconds()) < 5
    with pytest.raises(InvalidRequest) as caught:
        si.api_key_create(entity.id, ttl=30)
    assert "ttl" in caught.value.field_errors


def test_environment_is_not_a_key_field(si, entity, simulator):
    response = simulator.api(
        "POST",
        "/entities/api-keys",
        si._api_key,
        headers={"x-entity-id": entity.id},
        json={"environment": "production"},
    )
    assert response.status_code == 422
    assert "environment" in issue_paths(response)
