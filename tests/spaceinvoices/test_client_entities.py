"""Contract tests: entities, over HTTP against the simulator."""

import pytest

from spaceinvoices.client import Forbidden, InvalidRequest, NotFound, Unauthorized

from .conftest import issue_paths, make_client, raw_entity


def test_create_returns_a_typed_entity_in_the_keys_environment(si, simulator):
    entity = si.entity_create(
        name="Acme d.o.o.", country="Slovenia", tax_number="SI12345678", is_tax_subject=True
    )
    assert entity.id.startswith("ent_") and len(entity.id) == 28
    assert entity.environment == "sandbox"
    assert entity.country_code == "SI"
    assert entity.is_enabled is True
    assert entity.tax_number == "SI12345678"
    assert simulator.stats()["entities"] == 1


def test_update_a_field(si, entity, simulator):
    updated = si.entity_update(entity.id, city="Maribor", name="Acme Two")
    assert (updated.city, updated.name) == ("Maribor", "Acme Two")
    assert raw_entity(simulator, si._api_key, entity.id).json()["city"] == "Maribor"


def test_country_never_changes(si, entity, simulator):
    response = simulator.api(
        "PATCH", f"/entities/{entity.id}", si._api_key, json={"country": "Germany"}
    )
    assert response.status_code == 422
    assert "country" in issue_paths(response)


def test_validation_error_carries_field_details(si):
    with pytest.raises(InvalidRequest) as caught:
        si.entity_create(name="", country="", metadata={str(i): "v" for i in range(51)})
    assert caught.value.status == 422
    assert set(caught.value.field_errors) == {"name", "country", "metadata"}


def test_environment_must_match_the_key(si, simulator):
    with pytest.raises(InvalidRequest) as caught:
        si.entity_create(name="Acme", country="Slovenia", environment="live")
    assert "environment" in caught.value.field_errors
    assert simulator.stats()["entities"] == 0


def test_live_and_sandbox_never_cross(si, entity, simulator):
    live = make_client(simulator, simulator.create_account("live"))
    assert live.environment == "live"
    with pytest.raises(NotFound):
        live.entity_update(entity.id, city="Kranj")
    assert list(live.entities_iter()) == []


def test_another_accounts_entity_is_not_found(si, entity, simulator):
    other = make_client(simulator, simulator.create_account("sandbox"))
    with pytest.raises(NotFound):
        other.entity_update(entity.id, city="Kranj")
    with pytest.raises(NotFound):
        other.entity_users_list(entity.id)


def test_unknown_key_is_unauthorized_and_never_echoed(simulator):
    fake = "sk_sandbox_" + "0" * 32
    with pytest.raises(Unauthorized) as caught:
        make_client(simulator, fake).entities_page()
    assert caught.value.status == 401
    assert fake not in str(caught.value) and fake not in repr(caught.value)


def test_pagination_follows_cursors_both_ways(si, simulator):
    # The documented default order is id ascending.
    created = sorted(
        si.entity_create(name=f"Customer {i}", country="Austria").id for i in range(23)
    )
    first = si.entities_page(limit=10)
    assert (first.total, first.has_more, first.prev_cursor) == (23, True, None)
    second = si.entities_page(limit=10, next_cursor=first.next_cursor)
    assert [e.id for e in second.data] == created[10:20]
    back = si.entities_page(limit=10, prev_cursor=second.prev_cursor)
    assert [e.id for e in back.data] == created[:10]
    assert si.entities_page(limit=5, include_total_count=False).total == -1
    assert [e.id for e in si.entities_iter(page_size=7)] == created
    assert simulator.requests_to("GET /entities") == 4 + 4  # four pages, then 23 in 7s
    with pytest.raises(InvalidRequest):
        si.entities_page(limit=101)


def test_disable_blocks_the_entitys_keys_and_enable_restores_them(
    si, entity, entity_key, simulator
):
    with_key = si.with_key(entity_key)
    si.entity_disable(entity.id)
    assert raw_entity(simulator, si._api_key, entity.id).json()["is_enabled"] is False
    with pytest.raises(Forbidden) as caught:
        with_key.entity_users_list(entity.id)
    assert caught.value.code == "entity_disabled"
    si.entity_enable(entity.id)
    assert raw_entity(simulator, si._api_key, entity.id).json()["is_enabled"] is True
    assert with_key.entity_users_list(entity.id) == []


def test_entity_header_required_with_several_entities(si, simulator):
    si.entity_create(name="One", country="Italy")
    si.entity_create(name="Two", country="Italy")
    response = simulator.api("GET", "/entities/users", si._api_key)
    assert response.status_code == 400
    assert response.json()["code"] == "entity_id_required"


def test_entity_key_cannot_reach_a_sibling_entity(si, entity, entity_key):
    sibling = si.entity_create(name="Sibling", country="Italy")
    with pytest.raises(NotFound):
        si.with_key(entity_key).entity_users_list(sibling.id)


def test_many_parallel_writes_all_succeed(si, simulator):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=30) as pool:
        ids = list(
            pool.map(lambda i: si.entity_create(name=f"P{i}", country="Spain").id, range(60))
        )
    assert len(set(ids)) == 60
    assert simulator.stats()["entities"] == 60
