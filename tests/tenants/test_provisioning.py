"""customer_provision against the simulator, with faults at every step and clean re-runs."""

import pytest

from tenants.models import EntityApiKey, ProvisioningState, StaffAction, SyncState
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
