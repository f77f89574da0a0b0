"""What each staff action says for one customer, and whose name its audit carries (the
admin's buttons and the queued jobs both show these messages)."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tenants.admin.customer_runs import RUNS
from tenants.models import StaffAction, User, WebhookEndpoint
from tenants.services import customer_provision
from tenants.services.webhooks import receiver_url


@pytest.fixture
def acme(make_customer, make_member, simulator):
    customer = make_customer(name="Acme", slug="acme")
    make_member(customer, "ana@acme.example", "admin")
    return customer_provision(customer=customer, actor="t")


@pytest.fixture
def staff_user(db):
    return User.objects.create_user(email="ops@partner.example", is_staff=True)


def strays(simulator, account_key, customer, count: int) -> list[str]:
    """Endpoints at our URL that this portal does not know, left by lost answers."""
    made = []
    for _ in range(count):
        answer = simulator.api(
            "POST", "/webhooks", account_key, headers={"x-entity-id": customer.entity_id},
            json={"url": receiver_url(), "events": ["invoice.created"]},
        )  # fmt: skip
        made.append(answer.json()["id"])
    return made


def test_register_names_every_endpoint_left_to_delete(acme, simulator, account_key, staff_user):
    WebhookEndpoint.objects.filter(customer=acme).delete()
    ours = [e["id"] for e in simulator.api("GET", "/webhooks", account_key,
            headers={"x-entity-id": acme.entity_id}).json()["data"]]  # fmt: skip
    extra = strays(simulator, account_key, acme, 1)
    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=503, count=20)
    said = RUNS["register_webhook"](acme, staff_user)
    reason = "not deleted yet: [503 injected_fault] Service Unavailable"
    # Listed in id order (Space Invoices' default): each named once, joined by "; ".
    assert sorted(said.split("; ")) == sorted(
        f"webhook endpoint {e} {reason}" for e in [*ours, *extra]
    )
    assert StaffAction.objects.get(action="register_webhook").actor == staff_user
    assert RUNS["register_webhook"](acme, staff_user).count("not deleted yet") == 2


def test_register_and_rotate_say_nothing_when_all_went_well(acme, staff_user):
    assert RUNS["rotate_webhook"](acme, staff_user) is None
    assert RUNS["register_webhook"](acme, staff_user) is None
    assert StaffAction.objects.get(action="rotate_webhook").actor == staff_user


def test_rotate_webhook_names_what_is_left(acme, simulator, account_key, staff_user):
    old = acme.webhook_endpoints.get().endpoint_id
    extra = strays(simulator, account_key, acme, 1)
    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=503, count=20)
    said = RUNS["rotate_webhook"](acme, staff_user)
    reason = "not deleted yet: [503 injected_fault] Service Unavailable"
    assert said == f"webhook endpoint {old} {reason}; webhook endpoint {extra[0]} {reason}"
    # (the retired one first, then strays at our URL)


def test_a_key_rotation_is_audited_as_the_staff_member(acme, staff_user):
    assert RUNS["rotate_key"](acme, staff_user) is None
    assert StaffAction.objects.get(action="rotate_key").actor == staff_user


def test_reconcile_names_everything_still_differing(acme, make_member, simulator, staff_user):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE revoked_at IS NULL",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode()],
        )
    make_member(acme, "bo@acme.example", "viewer")
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=20)
    said = RUNS["reconcile"](acme, staff_user)
    assert said == (
        "still differs: the active key cannot be decrypted here: rotate or attach one; "
        "to do: add bo@acme.example as viewer"
    )
    assert RUNS["reconcile"](acme, staff_user).startswith("still differs: ")
    audit = StaffAction.objects.filter(action="reconcile").latest("pk")
    assert audit.detail.endswith(
        "left: the active key cannot be decrypted here: rotate or attach one; "
        "to do: add bo@acme.example as viewer"
    )


@pytest.mark.django_db(transaction=True)
def test_a_page_button_shows_each_warning_and_goes_on(acme, simulator, staff, client):
    """Rotating from the customer's page with the old endpoint's deletion refused: the
    rotation is done, and the page warns, naming the customer and what is left."""
    from django.urls import reverse

    old = acme.webhook_endpoints.get().endpoint_id
    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=503, count=20)
    client.force_login(staff)
    button = reverse("admin:tenants_customer_act", args=[acme.pk, "rotate_webhook"])
    page = client.post(button, {"confirmed": "yes"}, follow=True)
    html = page.content.decode()
    assert f"Acme: webhook endpoint {old} not deleted yet" in html
    assert 'class="warning"' in html
    assert acme.webhook_endpoints.active().get().endpoint_id != old


def test_check_drift_and_sync_name_each_problem(acme, make_member, simulator, staff_user):
    make_member(acme, "bo@acme.example", "viewer")
    make_member(acme, "cy@acme.example", "viewer")
    acme.webhook_endpoints.update(retired_at="2026-01-01T00:00:00Z")
    said = RUNS["check_drift"](acme, staff_user)
    assert said == (
        "Users or roles differ: to do: add bo@acme.example as viewer; add cy@acme.example as "
        "viewer; Webhook endpoint missing, inactive or at another address: no webhook endpoint "
        "is registered: activity and usage are not reported"
    )
    from tenants.errors import TenantError

    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=20,
                    body={"code": "validation_error", "message": "refused"})  # fmt: skip
    with pytest.raises(TenantError) as caught:
        RUNS["sync_members"](acme, staff_user)
    assert str(caught.value) == (
        "bo@acme.example: [422 validation_error] refused; "
        "cy@acme.example: [422 validation_error] refused"
    )


def test_switching_mode_is_audited_as_the_staff_member(acme, staff_user):
    RUNS["switch_to_api_key"](acme, staff_user)
    assert RUNS["switch_to_user"](acme, staff_user) is None
    audits = StaffAction.objects.filter(action="set_access_mode").order_by("pk")
    assert [a.actor for a in audits] == [staff_user, staff_user]
