"""Key rotation and attaching a key by hand, against the simulator."""

import pytest

from spaceinvoices.client import Unavailable
from tenants.errors import KeyRejected
from tenants.models import EntityApiKey, StaffAction
from tenants.services import customer_provision, entity_key_attach, entity_key_rotate
from tests.fixtures_portal import entity_made_elsewhere


@pytest.fixture
def provisioned(make_customer, simulator):
    return customer_provision(customer=make_customer(access_mode="api_key"), actor="test")


def key_works(simulator, key, entity_id) -> bool:
    response = simulator.api("GET", "/entities/api-keys", key, headers={"x-entity-id": entity_id})
    return response.status_code == 200


def test_rotation_swaps_in_a_new_key_and_deletes_the_old(provisioned, simulator):
    old = provisioned.api_keys.active().get()
    assert entity_key_rotate(customer=provisioned, actor="test") == []
    new = provisioned.api_keys.active().get()
    assert new.key != old.key
    old.refresh_from_db()
    assert old.revoked_at and old.upstream_deleted_at
    assert key_works(simulator, new.key, provisioned.entity_id)
    assert not key_works(simulator, old.key, provisioned.entity_id)
    assert simulator.stats()["api_keys"] == 1
    [audit] = StaffAction.objects.filter(action="rotate_key", succeeded=True)
    assert audit.actor_label == "test" and audit.customer == provisioned


def test_old_key_not_deleted_is_remembered_and_deleted_next_time(provisioned, simulator):
    first = provisioned.api_keys.active().get()
    simulator.fault(path_prefix="/entities/api-keys/", method="DELETE", status=503, count=9)
    warnings = entity_key_rotate(customer=provisioned, actor="test")
    assert len(warnings) == 1 and "not deleted yet" in warnings[0]
    assert first.prefix_hint in warnings[0] and first.key not in warnings[0]
    assert EntityApiKey.objects.awaiting_upstream_deletion().count() == 1
    simulator.clear_faults()
    assert entity_key_rotate(customer=provisioned, actor="test") == []
    assert EntityApiKey.objects.awaiting_upstream_deletion().count() == 0
    assert not key_works(simulator, first.key, provisioned.entity_id)
    assert simulator.stats()["api_keys"] == 1


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop": "after"}], ids=["503", "drop"])
def test_failed_key_creation_changes_nothing_and_a_rerun_ends_clean(provisioned, simulator, fault):
    old = provisioned.api_keys.active().get()
    simulator.fault(path_prefix="/entities/api-keys", method="POST", count=9, **fault)
    with pytest.raises(Unavailable):
        entity_key_rotate(customer=provisioned, actor="test")
    assert provisioned.api_keys.active().get().pk == old.pk
    assert key_works(simulator, old.key, provisioned.entity_id)
    simulator.clear_faults()
    entity_key_rotate(customer=provisioned, actor="test")
    assert provisioned.api_keys.active().count() == 1
    assert simulator.stats()["api_keys"] == 1  # the lost answer's key is the one stored


def test_attach_an_existing_key_checked_upstream(make_customer, simulator, account_key):
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(access_mode="api_key")
    with pytest.raises(KeyRejected, match=r"^Space Invoices does not accept that key\.$"):
        entity_key_attach(
            customer=customer, key="ek_sandbox_" + "0" * 32, actor="t", entity_id=entity_id
        )
    with pytest.raises(
        KeyRejected, match=r"^That is not an entity API key \(ek_live_… or ek_sandbox_…\)\.$"
    ):
        entity_key_attach(customer=customer, key="hello", actor="t", entity_id=entity_id)
    entity_key_attach(customer=customer, key=key, actor="t", entity_id=entity_id)
    customer.refresh_from_db()
    assert customer.is_provisioned and customer.entity_id == entity_id
    assert customer.api_keys.active().get().key == key
    assert StaffAction.objects.get(action="attach_key").detail.startswith("now ek_sandbox_")


def test_attach_refuses_a_key_of_another_entity(provisioned, simulator, account_key):
    _, foreign = entity_made_elsewhere(simulator, account_key, "Other")
    before = provisioned.api_keys.active().get()
    with pytest.raises(KeyRejected, match=r"^That key does not belong to this entity\.$"):
        entity_key_attach(customer=provisioned, key=foreign, actor="t")
    assert provisioned.api_keys.active().get() == before


def test_lost_encryption_key_is_recovered_by_rotation(provisioned, simulator, settings):
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old one is lost
    warnings = entity_key_rotate(customer=provisioned, actor="test")
    assert len(warnings) == 1 and "cannot be decrypted" in warnings[0]
    new = provisioned.api_keys.active().get()
    assert key_works(simulator, new.key, provisioned.entity_id)


def test_attach_rules_and_what_a_made_elsewhere_entity_becomes(
    make_customer, provisioned, simulator, account_key
):
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(access_mode="api_key")
    with pytest.raises(KeyRejected, match=r"^Give the entity id the key belongs to\.$"):
        entity_key_attach(customer=customer, key=key, actor="t")
    with pytest.raises(KeyRejected, match=f"Entity {provisioned.entity_id} already belongs"):
        entity_key_attach(customer=customer, key=key, actor="t", entity_id=provisioned.entity_id)
    live = "ek_live_" + "1" * 32
    with pytest.raises(KeyRejected, match=r"a live key; this portal.s account is sandbox\."):
        entity_key_attach(customer=customer, key=live, actor="t", entity_id=entity_id)
    entity_key_attach(customer=customer, key=key, actor="staff", entity_id=f" {entity_id} ")
    customer.refresh_from_db()
    assert (customer.entity_id, customer.environment, customer.last_error) == (
        entity_id, "sandbox", "",
    )  # fmt: skip
    assert customer.provisioned_at is not None
    audit = StaffAction.objects.get(action="attach_key")
    assert (audit.actor_label, audit.customer, audit.succeeded) == ("staff", customer, True)
    # The same key again changes nothing; another one replaces it and the first is deleted.
    entity_key_attach(customer=customer, key=key, actor="staff")
    assert StaffAction.objects.filter(action="attach_key").count() == 1
    second = simulator.api(
        "POST", "/entities/api-keys", account_key, headers={"x-entity-id": entity_id}, json={}
    ).json()["id"]
    entity_key_attach(customer=customer, key=second, actor="staff")
    assert customer.api_keys.active().get().key == second
    assert not key_works(simulator, key, entity_id) and key_works(simulator, second, entity_id)


def test_rotation_of_an_unprovisioned_customer_is_refused(make_customer, simulator):
    from tenants.errors import NotProvisioned

    customer = make_customer(name="Newco")
    with pytest.raises(NotProvisioned, match=r"^Newco is not provisioned; provision it first\.$"):
        entity_key_rotate(customer=customer, actor="t")
    assert simulator.requests_to("POST /entities/api-keys") == 0


def test_a_failed_rotation_is_audited_as_failed(provisioned, simulator):
    simulator.fault(path_prefix="/entities/api-keys", method="POST", status=422, count=1)
    with pytest.raises(Exception, match="422"):
        entity_key_rotate(customer=provisioned, actor="ops")
    audit = StaffAction.objects.get(action="rotate_key")
    assert (audit.succeeded, audit.customer, audit.actor_label) == (False, provisioned, "ops")
    assert audit.detail.startswith("[422 ")  # why, in Space Invoices' words
    [intent] = provisioned.upstream_intents.filter(step="key.create", outcome="refused")
    assert "422" in intent.detail


def test_an_attach_whose_old_key_cannot_be_deleted_says_so_in_a_failed_audit_row(
    provisioned, simulator, account_key
):
    old = provisioned.api_keys.active().get()
    second = simulator.api(
        "POST",
        "/entities/api-keys",
        account_key,
        headers={"x-entity-id": provisioned.entity_id},
        json={},
    ).json()["id"]
    simulator.fault(path_prefix="/entities/api-keys/", method="DELETE", status=503, count=9)
    entity_key_attach(customer=provisioned, key=second, actor="ops")
    assert provisioned.api_keys.active().get().key == second
    done, warned = StaffAction.objects.filter(action="attach_key").order_by("pk")
    assert (done.succeeded, warned.succeeded) == (True, False)
    assert (warned.actor_label, warned.customer) == ("ops", provisioned)
    assert warned.detail.startswith("old key ek_sandbox_") and "not deleted yet: [503 " in (
        warned.detail
    )
    assert old.key not in warned.detail


def test_a_rotation_clears_a_refused_key_flag_and_records_the_new_key_in_full(
    provisioned, simulator, account_key
):
    from django.utils import timezone

    from tenants.models import Customer, UpstreamIntent

    Customer.objects.filter(pk=provisioned.pk).update(key_rejected_at=timezone.now())
    provisioned.refresh_from_db()
    assert entity_key_rotate(customer=provisioned, actor="test") == []
    assert Customer.objects.get(pk=provisioned.pk).key_rejected_at is None
    new = provisioned.api_keys.active().get()
    assert new.name == "portal"
    from portal.redaction import redact

    [audit] = StaffAction.objects.filter(action="rotate_key")
    assert audit.detail == redact(f"now {new.prefix_hint}")
    listed = simulator.api(
        "GET", "/entities/api-keys", account_key, headers={"x-entity-id": provisioned.entity_id}
    ).json()["data"]
    assert [k["name"] for k in listed] == ["portal"]  # the name the replay relies on
    [delete] = UpstreamIntent.objects.filter(step__startswith="key.delete:")
    assert simulator.request_ids("DELETE /entities/api-keys/{id}") == [delete.request_id]


def test_a_key_made_with_a_ttl_keeps_its_expiry(provisioned):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.services.keys import key_store

    expires = timezone.now() + timedelta(days=30)
    key_store(
        customer=provisioned,
        secret="ek_sandbox_" + "e" * 32,
        prefix_hint="ek_…e",
        expires_at=expires,
    )
    assert provisioned.api_keys.active().get().expires_at == expires


def test_an_unreadable_old_key_does_not_stop_the_next_ones_deletion(
    provisioned, simulator, settings
):
    """Two revoked keys wait for deletion upstream; the first cannot be decrypted any more:
    it is reported, and the second is still deleted."""
    from cryptography.fernet import Fernet

    simulator.fault(path_prefix="/entities/api-keys/", method="DELETE", status=503, count=30)
    entity_key_rotate(customer=provisioned, actor="test")  # the first key left upstream
    entity_key_rotate(customer=provisioned, actor="test")  # and the second
    simulator.clear_faults()
    unreadable = EntityApiKey.objects.awaiting_upstream_deletion().first()  # tried first
    # That key's row is re-encrypted under a key nobody has any more.
    lost = Fernet(Fernet.generate_key()).encrypt(b"ek_sandbox_gone").decode()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE id = %s", [lost, unreadable.pk]
        )
    warnings = entity_key_rotate(customer=provisioned, actor="test")
    assert len(warnings) == 1 and "cannot be decrypted" in warnings[0]
    waiting = EntityApiKey.objects.awaiting_upstream_deletion().values_list("pk", flat=True)
    assert list(waiting) == [unreadable.pk]  # every readable one deleted
