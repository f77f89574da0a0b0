"""Webhook endpoints: registered at provisioning, secret encrypted, registered later for
customers provisioned before, rotated without a gap, found again after a lost answer."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from spaceinvoices.client import Unavailable
from tenants.errors import NotProvisioned
from tenants.models import Customer, StaffAction, WebhookEndpoint
from tenants.services import (
    customer_provision,
    webhook_endpoint_register,
    webhook_endpoint_rotate,
)
from tenants.services.webhooks import receiver_url


def upstream_endpoints(simulator, account_key, entity_id) -> list[dict]:
    answer = simulator.api("GET", "/webhooks", account_key, headers={"x-entity-id": entity_id})
    assert answer.status_code == 200
    return answer.json()["data"]


@pytest.fixture
def provisioned(make_customer, simulator):
    return customer_provision(customer=make_customer(slug="acme"), actor="test")


def test_provisioning_registers_one_endpoint_at_the_portal(provisioned, simulator, account_key):
    [upstream] = upstream_endpoints(simulator, account_key, provisioned.entity_id)
    assert upstream["url"] == "http://portal.test/webhooks/spaceinvoices/" == receiver_url()
    assert {"invoice.created", "invoice.paid", "invoice.overdue"} <= set(upstream["events"])
    [local] = provisioned.webhook_endpoints.all()
    assert local.endpoint_id == upstream["id"] and local.retired_at is None
    assert local.secret.startswith("whsec_")


def test_the_secret_is_encrypted_at_rest(provisioned):
    endpoint = provisioned.webhook_endpoints.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM tenants_webhookendpoint WHERE id = %s", [endpoint.pk])
        [stored] = cursor.fetchone()
    assert stored.startswith("gAAAAA") and "whsec_" not in stored


def test_a_re_run_registers_nothing_more(provisioned, simulator, account_key):
    customer_provision(customer=provisioned, actor="test")
    assert len(upstream_endpoints(simulator, account_key, provisioned.entity_id)) == 1
    assert provisioned.webhook_endpoints.count() == 1


def test_an_outage_at_registration_fails_provisioning_and_a_re_run_finishes(
    make_customer, simulator, account_key
):
    simulator.fault(path_prefix="/webhooks", method="POST", status=503, count=10)
    customer = customer_provision(customer=make_customer(), actor="test")
    assert customer.provisioning_state == "failed"
    assert "could not register the webhook endpoint" in customer.last_error
    simulator.clear_faults()
    customer = customer_provision(customer=customer, actor="test")
    assert customer.is_provisioned
    assert len(upstream_endpoints(simulator, account_key, customer.entity_id)) == 1


def test_customers_provisioned_earlier_get_one_from_the_command(
    provisioned, simulator, account_key, capsys
):
    WebhookEndpoint.objects.filter(customer=provisioned).delete()  # as before webhooks
    for listed in upstream_endpoints(simulator, account_key, provisioned.entity_id):
        simulator.api("DELETE", f"/webhooks/{listed['id']}", account_key,
                      headers={"x-entity-id": provisioned.entity_id})  # fmt: skip
    call_command("register_webhooks", "--all")
    [upstream] = upstream_endpoints(simulator, account_key, provisioned.entity_id)
    assert provisioned.webhook_endpoints.active().get().endpoint_id == upstream["id"]
    assert f"acme: registered {upstream['id']}" in capsys.readouterr().out
    call_command("register_webhooks", "--customer", "acme")  # again: nothing new
    assert len(upstream_endpoints(simulator, account_key, provisioned.entity_id)) == 1
    audits = StaffAction.objects.filter(action="register_webhook").order_by("pk")
    assert [a.detail for a in audits] == [f"now {upstream['id']}", f"already {upstream['id']}"]
    assert audits[0].actor_label == "command:register_webhooks"


def test_registering_is_refused_for_a_customer_not_provisioned(make_customer):
    with pytest.raises(NotProvisioned):
        webhook_endpoint_register(customer=make_customer(), actor="test")


def test_rotation_makes_a_new_endpoint_then_deletes_the_old(provisioned, simulator, account_key):
    old = provisioned.webhook_endpoints.get()
    assert webhook_endpoint_rotate(customer=provisioned, actor="test") == []
    new = provisioned.webhook_endpoints.active().get()
    assert new.endpoint_id != old.endpoint_id and new.secret != old.secret
    old.refresh_from_db()
    assert old.retired_at and old.upstream_deleted_at
    [upstream] = upstream_endpoints(simulator, account_key, provisioned.entity_id)
    assert upstream["id"] == new.endpoint_id
    [audit] = StaffAction.objects.filter(action="rotate_webhook")
    assert audit.detail == f"now {new.endpoint_id}" and audit.succeeded


def test_an_old_endpoint_not_deleted_yet_is_deleted_next_time(provisioned, simulator, account_key):
    old = provisioned.webhook_endpoints.get()
    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=503, count=9)
    warnings = webhook_endpoint_rotate(customer=provisioned, actor="test")
    assert len(warnings) == 1 and f"{old.endpoint_id} not deleted yet" in warnings[0]
    old.refresh_from_db()
    assert old.retired_at and old.upstream_deleted_at is None  # still accepted meanwhile
    simulator.clear_faults()
    customer_provision(customer=provisioned, actor="test")
    old.refresh_from_db()
    assert old.upstream_deleted_at is not None
    assert len(upstream_endpoints(simulator, account_key, provisioned.entity_id)) == 1


def test_rotation_that_cannot_register_changes_nothing(provisioned, simulator):
    old = provisioned.webhook_endpoints.get()
    simulator.fault(path_prefix="/webhooks", method="POST", status=503, count=10)
    with pytest.raises(Unavailable):
        webhook_endpoint_rotate(customer=provisioned, actor="test")
    assert provisioned.webhook_endpoints.active().get() == old
    assert StaffAction.objects.get(action="rotate_webhook").succeeded is False


def test_an_endpoint_whose_answer_was_lost_past_the_replay_window_is_deleted(
    make_customer, simulator, account_key
):
    """Its secret was never seen here: the re-run makes another and deletes the stray."""
    customer = make_customer()
    simulator.fault(path_prefix="/webhooks", method="POST", drop="after", count=3)
    customer = customer_provision(customer=customer, actor="test")
    assert customer.provisioning_state == "failed"
    simulator.expire_replays()
    customer = customer_provision(customer=Customer.objects.get(pk=customer.pk), actor="test")
    assert customer.is_provisioned
    [upstream] = upstream_endpoints(simulator, account_key, customer.entity_id)
    assert upstream["id"] == customer.webhook_endpoints.active().get().endpoint_id


def test_reencrypt_secrets_covers_webhook_secrets(provisioned, settings, capsys):
    from cryptography.fernet import Fernet

    secret = provisioned.webhook_endpoints.get().secret
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    call_command("reencrypt_secrets")
    assert "webhook endpoints:" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key gone
    assert WebhookEndpoint.objects.get(customer=provisioned).secret == secret


def test_a_failed_registration_is_audited_as_whoevers_with_the_reason(provisioned, simulator):
    WebhookEndpoint.objects.filter(customer=provisioned).delete()
    simulator.fault(path_prefix="/webhooks", method="POST", status=503, count=10)
    with pytest.raises(Unavailable) as caught:
        webhook_endpoint_register(customer=provisioned, actor="ops@partner")
    [audit] = StaffAction.objects.filter(action="register_webhook")
    assert (audit.actor_label, audit.customer, audit.succeeded) == (
        "ops@partner",
        provisioned,
        False,
    )
    assert audit.detail == str(caught.value)


def test_a_stray_left_upstream_is_named_in_the_registration_audit(
    provisioned, simulator, account_key
):
    WebhookEndpoint.objects.filter(customer=provisioned).delete()  # ours, now a stray
    [stray] = upstream_endpoints(simulator, account_key, provisioned.entity_id)
    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=503, count=10)
    warnings = webhook_endpoint_register(customer=provisioned, actor="ops@partner")
    new = provisioned.webhook_endpoints.active().get()
    assert warnings == [
        f"webhook endpoint {stray['id']} not deleted yet: [503 injected_fault] Service Unavailable"
    ]
    [audit] = StaffAction.objects.filter(action="register_webhook")
    assert (audit.customer, audit.succeeded) == (provisioned, True)
    assert audit.detail == f"now {new.endpoint_id}; {warnings[0]}"


def test_a_failed_rotation_is_audited_with_the_reason(provisioned, simulator):
    simulator.fault(path_prefix="/webhooks", method="POST", status=503, count=10)
    with pytest.raises(Unavailable) as caught:
        webhook_endpoint_rotate(customer=provisioned, actor="custodian@partner")
    [audit] = StaffAction.objects.filter(action="rotate_webhook")
    assert (audit.actor_label, audit.customer) == ("custodian@partner", provisioned)
    assert audit.detail == str(caught.value)


def test_a_rotation_is_audited_as_whoever_asked(provisioned):
    webhook_endpoint_rotate(customer=provisioned, actor="custodian@partner")
    assert StaffAction.objects.get(action="rotate_webhook").actor_label == "custodian@partner"


def test_every_endpoint_write_carries_a_request_id_of_ours(provisioned, simulator):
    webhook_endpoint_rotate(customer=provisioned, actor="t")
    for key in ("POST /webhooks", "DELETE /webhooks/{id}"):
        ids = simulator.request_ids(key)
        assert ids and all(rid and rid.startswith("portal:") for rid in ids), key


def test_registering_for_a_customer_not_provisioned_says_so(make_customer):
    customer = make_customer(name="Fresh Ltd")
    with pytest.raises(NotProvisioned, match=r"^Fresh Ltd is not provisioned; provision it"):
        webhook_endpoint_rotate(customer=customer, actor="t")


def test_a_rotation_whose_cleanup_cannot_list_says_it_rotated(provisioned, simulator, capsys):
    simulator.fault(path_prefix="/webhooks", method="GET", status=503, count=10)
    with pytest.raises(CommandError):
        call_command("rotate_webhook_secrets", "--customer", "acme")
    new = provisioned.webhook_endpoints.active().get().endpoint_id
    out = capsys.readouterr().out
    assert f"FAILED: rotated (now {new}), but could not look for stray webhook endpoints" in out


def test_the_endpoint_is_recorded_as_space_invoices_answered(provisioned, simulator, account_key):
    from datetime import datetime

    [upstream] = upstream_endpoints(simulator, account_key, provisioned.entity_id)
    local = provisioned.webhook_endpoints.get()
    assert local.url == receiver_url()
    assert local.registered_at == datetime.fromisoformat(upstream["created_at"])
    webhook_endpoint_rotate(customer=provisioned, actor="t")
    assert StaffAction.objects.get(action="rotate_webhook").customer == provisioned
    [delete_id] = simulator.request_ids("DELETE /webhooks/{id}")
    assert delete_id.startswith(f"portal:{provisioned.uuid}:webhook.delete:{local.pk}:")


def test_registration_goes_out_once_under_its_recorded_request_id(provisioned, simulator):
    [body] = simulator.bodies("POST /webhooks")
    assert body["description"] == "partner portal" and body["url"] == receiver_url()
    [sent] = simulator.request_ids("POST /webhooks")
    assert sent.startswith(f"portal:{provisioned.uuid}:webhook.create:")


def test_every_retired_endpoint_left_upstream_is_named(provisioned, simulator):
    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=503, count=50)
    first = provisioned.webhook_endpoints.get().endpoint_id
    webhook_endpoint_rotate(customer=provisioned, actor="t")
    second = provisioned.webhook_endpoints.active().get().endpoint_id
    warnings = webhook_endpoint_rotate(customer=provisioned, actor="t")
    assert [w.split(" not deleted")[0] for w in warnings] == [
        f"webhook endpoint {second}", f"webhook endpoint {first}",
    ]  # fmt: skip


def test_an_old_endpoint_with_an_unreadable_secret_is_still_deleted(
    provisioned, simulator, account_key
):
    from cryptography.fernet import Fernet

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_webhookendpoint SET secret = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode()],
        )
    assert webhook_endpoint_rotate(customer=provisioned, actor="t") == []
    assert len(upstream_endpoints(simulator, account_key, provisioned.entity_id)) == 1


def test_a_stray_already_gone_counts_as_deleted(provisioned, simulator, account_key):
    WebhookEndpoint.objects.filter(customer=provisioned).delete()  # ours is now a stray
    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=404, count=1)
    assert webhook_endpoint_register(customer=provisioned, actor="t") == []
