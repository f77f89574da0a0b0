"""customer_provision against the simulator, with faults at every step and clean re-runs."""

import pytest

from tenants.models import (
    Customer,
    EntityApiKey,
    ProvisioningState,
    StaffAction,
    SyncState,
    UpstreamIntent,
)
from tenants.services import customer_provision
from tests.fixtures_portal import upstream_users


def test_provision_creates_entity_key_and_users(make_customer, make_member, simulator, account_key):
    customer = make_customer(name="Acme d.o.o.", tax_number="SI123")
    make_member(customer, "ana@acme.example", "admin")
    make_member(customer, "bo@acme.example", "viewer")
    customer = customer_provision(customer=customer, actor="test")
    assert customer.provisioning_state == ProvisioningState.PROVISIONED
    assert customer.entity_id.startswith("ent_") and customer.environment == "sandbox"
    key = customer.api_keys.active().get()
    assert key.key.startswith("ek_sandbox_") and key.prefix_hint.startswith("ek_sandbox_")
    assert upstream_users(simulator, account_key, customer.entity_id) == {
        "ana@acme.example": "admin",
        "bo@acme.example": "viewer",
    }
    assert set(customer.memberships.values_list("sync_state", flat=True)) == {SyncState.SYNCED}
    stats = simulator.stats()
    assert (stats["entities"], stats["api_keys"], stats["invitations"]) == (1, 1, 0)
    audit = StaffAction.objects.get(action="provision")
    assert audit.succeeded and audit.actor_label == "test"


def test_key_mode_customer_gets_no_users(make_customer, make_member, simulator, account_key):
    customer = make_customer(access_mode="api_key")
    make_member(customer, "cy@globex.example", "editor")
    customer = customer_provision(customer=customer, actor="test")
    assert customer.is_provisioned
    assert upstream_users(simulator, account_key, customer.entity_id) == {}
    assert customer.memberships.get().sync_state == SyncState.NOT_APPLICABLE


def test_provisioning_twice_changes_nothing(make_customer, simulator):
    customer = customer_provision(customer=make_customer(), actor="test")
    again = customer_provision(customer=customer, actor="test")
    assert again.entity_id == customer.entity_id
    assert simulator.stats()["entities"] == 1 and simulator.stats()["api_keys"] == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"path_prefix": "/entities", "method": "POST", "status": 503, "count": 9},
        {"path_prefix": "/entities", "method": "POST", "drop": "after", "count": 9},
        {"path_prefix": "/entities/api-keys", "method": "POST", "status": 503, "count": 9},
        {"path_prefix": "/entities/api-keys", "method": "POST", "drop": "after", "count": 9},
        {"path_prefix": "/entities/users", "method": "POST", "status": 503, "count": 9},
        {"path_prefix": "/entities/users", "method": "POST", "drop": "after", "count": 9},
        {"path_prefix": "/entities/users", "method": "GET", "status": 500, "count": 9},
    ],
    ids=[
        "entity-503",
        "entity-drop",
        "key-503",
        "key-drop",
        "user-503",
        "user-drop",
        "users-list-500",
    ],
)
def test_failure_at_each_step_then_a_clean_rerun(
    fault, make_customer, make_member, simulator, account_key
):
    customer = make_customer()
    make_member(customer, "dee@acme.example", "editor")
    simulator.fault(**fault)
    failed = customer_provision(customer=customer, actor="test")
    assert failed.provisioning_state == ProvisioningState.FAILED
    assert failed.last_error.startswith(("could not", "dee@acme.example", "Space Invoices"))
    simulator.clear_faults()
    done = customer_provision(customer=failed, actor="test")
    assert done.provisioning_state == ProvisioningState.PROVISIONED and done.last_error == ""
    stats = simulator.stats()
    assert stats["entities"] == 1
    assert EntityApiKey.objects.filter(customer=done).active().count() == 1
    # Every key made upstream is the stored one: nothing orphaned.
    assert stats["api_keys"] == 1
    assert upstream_users(simulator, account_key, done.entity_id) == {"dee@acme.example": "editor"}


def test_edited_details_after_a_lost_answer_still_end_with_one_entity(make_customer, simulator):
    customer = make_customer(name="Before")
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=9)
    assert customer_provision(customer=customer, actor="t").provisioning_state == "failed"
    simulator.clear_faults()
    customer.refresh_from_db()
    customer.name = "After"
    customer.save()
    done = customer_provision(customer=customer, actor="t")
    assert done.is_provisioned and simulator.stats()["entities"] == 1
    # The entity it found holds the old name: the edit is sent once.
    assert simulator.requests_to("PATCH /entities/{id}") == 1


def test_failure_is_audited_with_the_reason(make_customer, simulator):
    simulator.fault(
        path_prefix="/entities",
        method="POST",
        status=422,
        count=1,
        body={"code": "validation_error", "message": "country unknown"},
    )
    customer_provision(customer=make_customer(), actor="test")
    audit = StaffAction.objects.get(action="provision")
    assert not audit.succeeded and "country unknown" in audit.detail


@pytest.mark.parametrize("tax_subject", [True, False])
def test_rerun_after_replays_expired_still_finds_the_entity(
    make_customer, simulator, account_key, tax_subject
):
    customer = make_customer(is_tax_subject=tax_subject, address="Main 1")
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=9)
    assert customer_provision(customer=customer, actor="t").provisioning_state == "failed"
    simulator.clear_faults()
    simulator.expire_replays()  # a day later: the entity is there, the replay is not

    done = customer_provision(customer=customer, actor="t")
    assert done.is_provisioned and simulator.stats()["entities"] == 1
    # The entity it found already holds the customer's details: nothing to send again.
    assert simulator.requests_to("PATCH /entities/{id}") == 0
    # The entity it found already holds the customer's details: nothing to send again.
    assert simulator.requests_to("PATCH /entities/{id}") == 0


def test_an_upstream_422_fails_the_step_and_names_the_field(make_customer, simulator):
    issue = {"path": ["post_code"], "message": "Unknown post code", "code": "custom"}
    body = {"code": "validation_error", "message": "Invalid", "cause": {"issues": [issue]}}
    simulator.fault(path_prefix="/entities", method="POST", status=422, body=body)
    customer = customer_provision(customer=make_customer(post_code="0000"), actor="test")
    assert customer.provisioning_state == ProvisioningState.FAILED
    assert "could not create the entity" in customer.last_error
    assert "post_code: Unknown post code" in customer.last_error
    assert simulator.stats()["entities"] == 0
    assert not StaffAction.objects.get(action="provision").succeeded


@pytest.mark.parametrize(
    ("method", "path", "step"),
    [
        ("GET", "/entities", "create the entity"),
        ("POST", "/entities/api-keys", "create the entity API key"),
        ("POST", "/webhooks", "register the webhook endpoint"),
        ("GET", "/entities/users", "sync members"),
    ],
)
def test_a_failed_provisioning_says_which_step_failed(make_customer, simulator, method, path, step):
    simulator.fault(path_prefix=path, method=method, status=503, count=30)
    customer = customer_provision(customer=make_customer(), actor="t")
    assert customer.provisioning_state == "failed"
    assert customer.last_error.startswith(f"could not {step}: [503 injected_fault]")


def test_provisioning_records_when_who_and_for_which_customer(make_customer, simulator, caplog):
    customer = make_customer(slug="when-who")
    with caplog.at_level("INFO", logger="tenants.services.provisioning"):
        done = customer_provision(customer=customer, actor="t")
    assert done.environment == "sandbox" and done.provisioned_at is not None
    audit = StaffAction.objects.get(action="provision")
    assert (audit.customer, audit.actor_label) == (done, "t")
    assert "provision when-who: provisioned" in caplog.messages
    first = done.provisioned_at
    assert customer_provision(customer=done, actor="t").provisioned_at == first  # kept


def test_an_adopted_entity_records_the_environment_and_settles_only_its_own_intent(
    make_customer, simulator
):
    lost, other = make_customer(), make_customer()
    simulator.fault(path_prefix="/entities", method="POST", drop="after", count=30)
    for customer in (lost, other):
        customer_provision(customer=customer, actor="t")
    simulator.clear_faults()
    adopted = customer_provision(customer=lost, actor="t")
    assert adopted.is_provisioned and adopted.environment == "sandbox"
    [mine] = UpstreamIntent.objects.filter(customer=lost, step="entity.create")
    assert mine.outcome == UpstreamIntent.Outcome.DONE and mine.answered_at is not None
    [theirs] = UpstreamIntent.objects.filter(customer=other, step="entity.create")
    assert theirs.outcome == UpstreamIntent.Outcome.OPEN
    # The create that was lost went out under the intent's own id.
    assert mine.request_id in simulator.request_ids("POST /entities")


def test_a_failed_details_update_is_named_and_a_key_left_upstream_kept_as_a_problem(
    make_customer, simulator
):
    from tenants.services import entity_key_rotate

    customer = customer_provision(customer=make_customer(), actor="t")
    Customer.objects.filter(pk=customer.pk).update(details_state="pending")
    simulator.fault(path_prefix="/entities/", method="PATCH", status=503, count=30)
    failed = customer_provision(customer=customer, actor="staff")
    assert failed.last_error.startswith("could not update the entity's details: [503")
    assert StaffAction.objects.filter(action="update_details", actor_label="staff").exists()
    simulator.clear_faults()
    simulator.fault(path_prefix="/entities/api-keys", method="DELETE", status=503, count=30)
    entity_key_rotate(customer=customer, actor="t")  # the old key stays to be deleted
    failed = customer_provision(customer=customer, actor="t")  # and is still refused
    assert failed.provisioning_state == ProvisioningState.PROVISIONED  # it works meanwhile
    assert failed.last_error.startswith("old key ek_sandbox_")
    assert failed.last_error.endswith("not deleted yet: [503 injected_fault] Service Unavailable")


def test_every_problem_of_a_run_is_kept(make_customer, simulator):
    """The webhook's warning and the members' errors both reach last_error, joined."""
    customer = make_customer()
    simulator.fault(path_prefix="/webhooks", method="GET", status=503, count=30)
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=30)
    from tenants.models import Membership, User

    Membership.objects.create(
        user=User.objects.create_user(email="m@x.example"), customer=customer, role="viewer"
    )
    failed = customer_provision(customer=customer, actor="t")
    problems = failed.last_error.split("; ")
    assert len(problems) >= 2, failed.last_error
    assert problems[0].startswith("could not look for stray webhook endpoints")
    assert any("m@x.example" in p for p in problems[1:])


def test_a_failed_rerun_leaves_a_working_customer_working_and_says_what_failed(
    acme, simulator, login_as, capsys
):
    from django.core.management import CommandError, call_command
    from django.urls import reverse

    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=5)
    with pytest.raises(CommandError):
        call_command("provision_customers", "--customer", "acme")
    assert "acme: FAILED: could not sync members" in capsys.readouterr().out
    acme.refresh_from_db()
    assert acme.provisioning_state == ProvisioningState.PROVISIONED
    assert acme.last_error.startswith("could not sync members")
    assert StaffAction.objects.filter(action="provision", succeeded=False).exists()
    simulator.clear_faults()
    launch = login_as("bo@acme.example").post(reverse("open_invoicing", args=["acme"]))
    assert launch.status_code == 303
