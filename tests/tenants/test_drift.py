"""The drift report: each way Space Invoices can drift from the portal is found, and
reconciling puts right what the portal is the source of truth for, audited."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.models import Customer, DriftFinding, StaffAction
from tenants.services import customer_drift_apply, customer_drift_check, customer_provision
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(make_customer, make_member, simulator):
    customer = make_customer(name="Acme", slug="acme", city="Ljubljana")
    make_member(customer, "ana@acme.example", "admin")
    make_member(customer, "bo@acme.example", "viewer")
    return customer_provision(customer=customer, actor="t")


def kinds(found) -> dict[str, bool]:
    return {f.kind: f.fixable for f in found}


def raw(simulator, account_key, acme, method, path, **kwargs):
    headers = {"x-entity-id": acme.entity_id}
    answer = simulator.api(method, path, account_key, headers=headers, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer


def test_a_customer_in_line_has_no_findings_and_is_marked_checked(acme, simulator):
    assert customer_drift_check(customer=acme) == []
    assert Customer.objects.get(pk=acme.pk).drift_checked_at is not None
    assert not DriftFinding.objects.exists()


def test_every_kind_of_drift_is_found(acme, simulator, account_key):
    users = {
        u["email"]: u
        for u in raw(simulator, account_key, acme, "GET", "/entities/users").json()["data"]
    }
    bo_path = f"/entities/users/{users['bo@acme.example']['user_id']}"
    raw(simulator, account_key, acme, "PATCH", bo_path, json={"role": "admin"})
    raw(
        simulator,
        account_key,
        acme,
        "DELETE",
        f"/entities/users/{users['ana@acme.example']['user_id']}",
    )
    raw(simulator, account_key, acme, "POST", "/entities/users",
        json={"email": "stranger@x.example", "role": "editor", "send_invite": False})  # fmt: skip
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    key = acme.api_keys.active().get().key
    simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    found = customer_drift_check(customer=acme)
    assert kinds(found) == {"details": True, "key_refused": True, "users": True}
    by_kind = {f.kind: f.detail for f in found}
    assert by_kind["details"] == "city differ"
    assert by_kind["users"] == (
        "to do: add ana@acme.example as admin; set bo@acme.example to viewer; "
        "remove stranger@x.example (not a member)"
    )
    assert key not in by_kind["key_refused"] and "ek_sandbox_" in by_kind["key_refused"]
    assert DriftFinding.objects.filter(customer=acme).count() == 3  # kept for the admin


def test_reconcile_puts_right_what_differs_and_audits_it(acme, simulator, account_key):
    raw(simulator, account_key, acme, "POST", "/entities/users",
        json={"email": "stranger@x.example", "role": "editor", "send_invite": False})  # fmt: skip
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    raw(simulator, account_key, acme, "POST", f"/entities/{acme.entity_id}/disable")
    old = acme.api_keys.active().get()
    left = customer_drift_apply(customer=acme, actor="ops")
    assert left == [] and not DriftFinding.objects.exists()
    entity = simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()
    assert (entity["city"], entity["is_enabled"]) == ("Ljubljana", True)
    assert upstream_users(simulator, account_key, acme.entity_id) == {
        "ana@acme.example": "admin",
        "bo@acme.example": "viewer",
    }
    assert acme.api_keys.active().get().pk == old.pk  # the key worked: nothing to rotate
    audit = StaffAction.objects.get(action="reconcile")
    assert (audit.actor_label, audit.customer, audit.succeeded) == ("ops", acme, True)
    assert audit.detail == (
        "put right: Details differ, Enabled or disabled differently, Users or roles differ; "
        "left: nothing"
    )


def test_a_refused_key_is_rotated_and_an_unreadable_one_only_reported(acme, simulator, account_key):
    key = acme.api_keys.active().get().key
    simulator.api("DELETE", f"/entities/api-keys/{key}", key)
    assert customer_drift_apply(customer=acme, actor="ops") == []
    new = acme.api_keys.active().get().key
    assert new != key and raw(simulator, new, acme, "GET", "/entities/api-keys")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE revoked_at IS NULL",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode()],
        )
    keys_before = simulator.stats()["api_keys"]
    left = customer_drift_apply(customer=acme, actor="ops")
    assert kinds(left) == {"key_unreadable": False}
    assert simulator.stats()["api_keys"] == keys_before  # nothing made for it
    assert not StaffAction.objects.filter(action="reconcile").latest("pk").succeeded


def test_a_missing_entity_is_reported_never_made_again(acme, simulator):
    Customer.objects.filter(pk=acme.pk).update(entity_id="ent_" + "0" * 24)
    entities = simulator.stats()["entities"]
    left = customer_drift_apply(customer=acme, actor="ops")
    assert kinds(left) == {"entity_missing": False}
    assert simulator.stats()["entities"] == entities


def test_the_command_reports_and_with_apply_fails_on_what_is_left(acme, simulator, account_key):
    raw(
        simulator, account_key, acme, "PATCH", f"/entities/{acme.entity_id}", json={"city": "Koper"}
    )
    out = StringIO()
    call_command("reconcile", "--all", stdout=out)
    assert "acme: differs: Details differ: city differ" in out.getvalue()
    call_command("reconcile", "--all", "--apply", stdout=StringIO())
    assert (
        simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()["city"]
        == "Ljubljana"
    )
    Customer.objects.filter(pk=acme.pk).update(entity_id="ent_" + "0" * 24)
    with pytest.raises(CommandError, match="1 of 1 customer"):
        call_command("reconcile", "--customer", "acme", "--apply", stdout=StringIO())
