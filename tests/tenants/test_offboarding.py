"""Offboarding: users, then keys, then the entity, upstream; memberships end here; re-runs
finish what a failed run began; an unreadable key never blocks it."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from embedding.services import LaunchRefused, launch_token_create
from portal.redaction import redact
from tenants.errors import Offboarded
from tenants.models import Customer, Membership, StaffAction, User
from tenants.services import (
    OffboardingIncomplete,
    customer_offboard,
    customer_provision,
    entity_key_rotate,
)
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db


def entity(simulator, account_key, entity_id) -> dict:
    return simulator.api("GET", f"/entities/{entity_id}", account_key).json()


def key_works(simulator, entity_id, key) -> bool:
    answer = simulator.api("GET", "/entities/api-keys", key, headers={"x-entity-id": entity_id})
    return answer.status_code == 200


def test_offboarding_clears_upstream_in_order_and_archives_the_customer(
    acme, make_customer, make_member, simulator, account_key
):
    ana = Membership.objects.get(user__email="ana@acme.example")
    other = make_customer(name="Other Ltd")
    make_member(other, "bo@acme.example", "viewer")  # bo is also another customer's member
    key = acme.api_keys.active().get().key
    report = customer_offboard(customer=acme, actor="t")
    assert report.done[:4] == [
        "users removed at Space Invoices",
        "keys deleted at Space Invoices",
        "webhook endpoints deleted at Space Invoices",
        "entity disabled at Space Invoices",
    ]
    writes = [k for k in simulator.stats()["requests"] if not k.startswith("GET")]
    assert (
        writes.index("DELETE /entities/users/{id}")
        < writes.index("DELETE /entities/api-keys/{id}")
        < writes.index("POST /entities/{id}/disable")
    )
    assert upstream_users(simulator, account_key, acme.entity_id) == {}
    assert not key_works(simulator, acme.entity_id, key)
    assert entity(simulator, account_key, acme.entity_id)["is_enabled"] is False
    acme = Customer.objects.get(pk=acme.pk)
    assert acme.offboarded_at and not acme.is_active and not acme.memberships.exists()
    assert not User.objects.get(pk=ana.user.pk).is_active  # no other membership: login closed
    assert User.objects.get(email="bo@acme.example").is_active  # still Other Ltd's member
    audit = StaffAction.objects.get(action="offboard", succeeded=True)
    assert "ana@acme.example" in audit.detail and key not in audit.detail
    # Space Invoices keeps the entity: so does the portal, as an archived record.
    assert simulator.stats()["entities"] == 1 and Customer.objects.filter(pk=acme.pk).exists()


def test_a_failed_offboarding_says_what_was_done_and_a_rerun_finishes_it(
    acme, simulator, account_key
):
    key = acme.api_keys.active().get().key
    simulator.fault(path_prefix="/entities/api-keys/", method="DELETE", status=503, count=9)
    with pytest.raises(OffboardingIncomplete) as refused:
        customer_offboard(customer=acme, actor="t")
    assert "keys not deleted" in str(refused.value)
    assert "Done so far: users removed at Space Invoices" in str(refused.value)
    acme = Customer.objects.get(pk=acme.pk)
    assert acme.is_offboarding and not acme.offboarded_at and acme.memberships.count() == 2
    ana = User.objects.get(email="ana@acme.example")
    with pytest.raises(LaunchRefused) as launch:  # refused from the first step on
        launch_token_create(user=ana, slug="acme", client_ip="127.0.0.1")
    assert launch.value.title == "Invoicing has ended"  # never "turned on again"
    assert launch.value.message.startswith(f"Invoicing for {acme.name} has ended.")
    simulator.clear_faults()
    call_command("offboard_customers", "--all-unfinished", stdout=StringIO())
    acme = Customer.objects.get(pk=acme.pk)
    assert acme.offboarded_at and not key_works(simulator, acme.entity_id, key)
    assert entity(simulator, account_key, acme.entity_id)["is_enabled"] is False


def test_offboarding_disables_upstream_what_a_failed_disable_blocked_only_here(
    acme, simulator, account_key
):
    from tenants.errors import PartlyApplied
    from tenants.services import customer_disable

    simulator.fault(path_prefix=f"/entities/{acme.entity_id}/disable", status=503, count=9)
    with pytest.raises(PartlyApplied):
        customer_disable(customer=acme, actor="t")
    assert not Customer.objects.get(pk=acme.pk).is_active  # blocked here, not there
    simulator.clear_faults()
    report = customer_offboard(customer=acme, actor="t")
    assert "entity disabled at Space Invoices" in report.done
    entity = simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()
    assert entity["is_enabled"] is False


def test_an_unreadable_key_is_reported_left_upstream_never_a_blocker(acme, simulator, settings):
    row = acme.api_keys.active().get()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode(), row.pk],
        )
    report = customer_offboard(customer=acme, actor="t")
    assert Customer.objects.get(pk=acme.pk).offboarded_at
    assert len(report.left_upstream) == 1 and row.prefix_hint in report.left_upstream[0]
    detail = StaffAction.objects.get(action="offboard").detail
    assert "may remain at Space Invoices" in detail
    # The report does not also claim every key gone.
    assert "other keys deleted at Space Invoices" in report.done
    assert "keys deleted at Space Invoices" not in report.done


def test_offboarding_clears_the_customers_drift_findings(acme, make_customer, simulator):
    from tenants.models import DriftFinding
    from tenants.services import customer_drift_check

    other = customer_provision(customer=make_customer(name="Other Ltd"), actor="t")
    for customer in (acme, other):
        Customer.objects.filter(pk=customer.pk).update(name=f"{customer.name} renamed")
        assert customer_drift_check(customer=customer)  # its details differ upstream now
    customer_offboard(customer=acme, actor="t")
    assert not DriftFinding.objects.filter(customer=acme).exists()  # never checked again
    assert DriftFinding.objects.filter(customer=other).exists()


def test_nothing_is_set_up_again_for_an_offboarded_customer(acme, simulator):
    customer_offboard(customer=acme, actor="t")
    entities = simulator.stats()["entities"]
    for service in (customer_provision, entity_key_rotate):
        with pytest.raises(Offboarded):
            service(customer=acme, actor="t")
    assert simulator.stats()["entities"] == entities
    assert not Customer.objects.get(pk=acme.pk).api_keys.filter(revoked_at=None).exists()


def test_the_command_exits_non_zero_while_space_invoices_is_down(acme, simulator):
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=30)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 customer"):
        call_command("offboard_customers", "--customer", "acme", stdout=out)
    assert "FAILED: Offboarding Acme d.o.o. stopped: users not removed" in out.getvalue()


def test_the_offboard_button_asks_then_archives_and_the_record_becomes_read_only(
    client, staff, acme, simulator
):
    client.force_login(staff)
    button = reverse("admin:tenants_customer_act", args=[acme.pk, "offboard"])
    page = reverse("admin:tenants_customer_change", args=[acme.pk])
    assert button in client.get(page).content.decode()
    assert b"This cannot be undone" in client.get(button).content
    assert not Customer.objects.get(pk=acme.pk).is_offboarding  # asked, nothing done yet
    client.post(button, {"confirmed": "yes"})
    assert Customer.objects.get(pk=acme.pk).offboarded_at
    archived = client.get(page).content.decode()
    assert button not in archived and 'name="name"' not in archived  # read-only record
    listed = client.get(reverse("admin:tenants_customer_changelist")).content.decode()
    assert "Acme d.o.o." not in listed  # current customers only, by default
    archive = client.get(reverse("admin:tenants_customer_changelist") + "?lifecycle=archived")
    assert "Acme d.o.o." in archive.content.decode()


def test_a_provisioned_customer_cannot_be_deleted_only_offboarded(client, staff, acme):
    client.force_login(staff)
    response = client.post(
        reverse("admin:tenants_customer_delete", args=[acme.pk]), {"post": "yes"}
    )
    assert response.status_code == 403 and Customer.objects.filter(pk=acme.pk).exists()


def test_commands_over_all_customers_leave_offboarded_ones_out(acme, make_customer, simulator):
    customer_offboard(customer=acme, actor="t")
    Customer.objects.filter(pk=acme.pk).update(details_state="failed")
    make_customer(slug="left-early", offboarding_started_at="2026-01-01T00:00Z")
    for command in (
        ("rotate_entity_keys", "--all"),
        ("provision_customers", "--all-pending"),
        ("update_entity_details", "--all-behind"),
        ("sync_members", "--all"),
    ):
        out = StringIO()
        call_command(*command, stdout=out)  # exits 0: nothing of theirs to do
        assert "acme" not in out.getvalue() and "left-early" not in out.getvalue()


def test_an_import_cannot_touch_an_offboarded_customer(acme, simulator, tmp_path):
    customer_offboard(customer=acme, actor="t")
    path = tmp_path / "c.csv"
    path.write_text("name,slug,country,members\nRenamed,acme,Slovenia,mallory@evil.example:admin\n")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_customers", str(path), stderr=err)
    assert "row 2, column slug: Acme d.o.o. has been offboarded" in err.getvalue()
    assert Customer.objects.get(pk=acme.pk).name == "Acme d.o.o."
    assert not User.objects.filter(email="mallory@evil.example").exists()


@pytest.mark.parametrize(
    ("fault", "problem", "done"),
    [
        ({"path_prefix": "/entities/users", "method": "GET", "status": 503},
         "users not removed: ", "nothing yet"),
        ({"path_prefix": "/entities/users/", "method": "DELETE", "status": 403},
         "users not removed: ", "nothing yet"),
        ({"path_prefix": "/entities/api-keys/", "method": "DELETE", "status": 503},
         "keys not deleted: ", "users removed at Space Invoices"),
        ({"path_prefix": "/webhooks/", "method": "DELETE", "status": 503},
         "webhooks not deleted: ",
         "users removed at Space Invoices; keys deleted at Space Invoices"),
        ({"path_prefix": "/entities/", "method": "POST", "status": 503},
         "entity not disabled: ",
         "users removed at Space Invoices; keys deleted at Space Invoices; webhook endpoints "
         "deleted at Space Invoices"),
    ],
)  # fmt: skip
def test_each_failed_step_is_audited_as_failed_saying_what_was_done(
    acme, simulator, fault, problem, done
):
    staff = User.objects.create_user(email="ops@partner.example", is_staff=True)
    simulator.fault(count=30, **fault)
    with pytest.raises(OffboardingIncomplete) as refused:
        customer_offboard(customer=acme, actor=staff)
    message = str(refused.value)
    assert message.startswith(f"Offboarding {acme} stopped: {problem}")
    assert message.endswith(f". Done so far: {done}. Run it again.")
    row = StaffAction.objects.get(action="offboard")
    assert (row.actor, row.actor_label, row.customer, row.succeeded, row.detail) == (
        staff,
        "ops@partner.example",
        acme,
        False,
        redact(message),  # the audit masks even a key's hint
    )
    # The users step is part of offboarding, not a sync of its own in the audit.
    assert not StaffAction.objects.filter(action="sync_members").exists()


def test_a_finished_offboarding_is_audited_once_by_whoever_ran_it(acme, simulator):
    staff = User.objects.create_user(email="ops@partner.example", is_staff=True)
    report = customer_offboard(customer=acme, actor=staff)
    assert report.customer == "acme"
    rows = list(StaffAction.objects.exclude(action="provision").values_list(
        "action", "actor", "customer", "succeeded"))  # fmt: skip
    assert sorted(rows) == sorted([
        ("disable", staff.pk, acme.pk, True),
        ("offboard", staff.pk, acme.pk, True),
    ])  # fmt: skip
    detail = StaffAction.objects.get(action="offboard").detail
    assert detail == (
        "users removed at Space Invoices; keys deleted at Space Invoices; webhook endpoints "
        "deleted at Space Invoices; entity disabled at Space Invoices; 2 membership(s) "
        "ended, 2 portal login(s) closed; members were: "
        "ana@acme.example, bo@acme.example"
    )
    again = customer_offboard(customer=acme, actor=staff)
    assert again.done == ["already offboarded"] and StaffAction.objects.count() == 3


def test_an_unprovisioned_customer_is_offboarded_here_only(make_customer, simulator):
    customer = make_customer(name="Newco")
    report = customer_offboard(customer=customer, actor="t")
    before = customer.updated_at
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.offboarded_at and not customer.is_active
    assert customer.updated_at > before
    assert simulator.stats()["requests"] == {}
    detail = StaffAction.objects.get(action="offboard").detail
    assert detail == "0 membership(s) ended, 0 portal login(s) closed"  # no member to name
    assert report.done == ["0 membership(s) ended, 0 portal login(s) closed"]


def test_every_user_that_could_not_be_removed_is_named(acme, simulator):
    simulator.fault(path_prefix="/entities/users/", method="DELETE", status=422, count=2)
    with pytest.raises(OffboardingIncomplete) as refused:
        customer_offboard(customer=acme, actor="t")
    problem = str(refused.value).split("users not removed: ", 1)[1].split(". Done so far")[0]
    assert [part.split(":")[0] for part in problem.split("; ")] == [
        "ana@acme.example",
        "bo@acme.example",
    ]


def test_webhooks_that_cannot_be_listed_stop_offboarding_saying_why(acme, simulator):
    from tenants.services.offboarding import OffboardingIncomplete

    simulator.fault(path_prefix="/webhooks", method="GET", status=503, count=10)
    with pytest.raises(OffboardingIncomplete) as caught:
        customer_offboard(customer=acme, actor="t")
    assert (
        "webhooks not deleted: could not look for stray webhook endpoints: [503 injected_fault] "
        "Service Unavailable. Done so far: "
    ) in str(caught.value)


@pytest.mark.django_db(transaction=True)
def test_an_offboarded_customers_people_sign_in_anew_wherever_they_come_back(
    client, acme, make_customer, make_member, simulator
):
    """Their logins are closed with their sessions: reactivated and added elsewhere, the
    browser they had left signed in does not launch there."""
    from django.urls import reverse

    from tenants.models import User, UserSession
    from tenants.services import user_active_set

    other = customer_provision(customer=make_customer(name="Other", slug="other"), actor="t")
    client.force_login(User.objects.get(email="bo@acme.example"))
    customer_offboard(customer=acme, actor="t")
    bo = User.objects.get(email="bo@acme.example")
    assert not bo.is_active and not UserSession.objects.filter(user=bo).exists()
    user_active_set(user=bo, active=True, actor="t")
    make_member(other, "bo@acme.example", "admin")
    answer = client.post(reverse("open_invoicing", args=["other"]))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
