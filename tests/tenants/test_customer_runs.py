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
    assert said == "; ".join(f"webhook endpoint {e} {reason}" for e in [*ours, *extra])
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
