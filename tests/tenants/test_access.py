"""Disable (blocked here first), enable (upstream first) and the access-mode switch; audited."""

import pytest
from django.urls import reverse

from spaceinvoices.client import Unavailable
from tenants.models import Customer, StaffAction, SyncState, UpstreamIntent, User
from tenants.services import (
    customer_access_mode_set,
    customer_disable,
    customer_enable,
    customer_provision,
    staff_action_record,
)
from tests.fixtures_portal import change_form_data, upstream_users

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:tenants_customer_changelist")


def enabled_upstream(simulator, account_key, entity_id) -> bool:
    return simulator.api("GET", f"/entities/{entity_id}", account_key).json()["is_enabled"]


@pytest.fixture
def acme(make_customer, make_member, simulator):
    customer = make_customer(name="Acme", slug="acme")
    make_member(customer, "ana@acme.example", "admin")
    make_member(customer, "bo@acme.example", "viewer")
    return customer_provision(customer=customer, actor="t")


def test_disable_and_enable_from_the_admin_act_upstream_and_audit(
    client, staff, acme, simulator, account_key
):
    client.force_login(staff)
    data = {"action": "disable", "_selected_action": [acme.pk]}
    asked = client.post(CHANGELIST, data)
    assert b"Disables each entity at Space Invoices: its keys and tokens stop" in asked.content
    assert b"are you sure" in asked.content and enabled_upstream(
        simulator, account_key, acme.entity_id
    )
    done = client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    assert b"Disable: done for 1 customer." in done.content
    assert not enabled_upstream(simulator, account_key, acme.entity_id)
    assert not Customer.objects.get(pk=acme.pk).is_active
    audit = StaffAction.objects.get(action="disable")
    assert (audit.actor, audit.customer, audit.succeeded) == (staff, acme, True)
    [intent] = UpstreamIntent.objects.filter(step="entity.disable")
    assert simulator.request_ids("POST /entities/{id}/disable") == [intent.request_id]
    client.post(CHANGELIST, {"action": "enable", "confirmed": "yes", "_selected_action": [acme.pk]})
    assert enabled_upstream(simulator, account_key, acme.entity_id)
    [intent] = UpstreamIntent.objects.filter(step="entity.enable")
    assert simulator.request_ids("POST /entities/{id}/enable") == [intent.request_id]
    assert Customer.objects.get(pk=acme.pk).is_active
    assert StaffAction.objects.get(action="enable").actor == staff


def test_a_failed_disable_blocks_launches_here_and_says_what_was_not_applied(
    client, staff, acme, simulator, account_key
):
    """Space Invoices down: launches stop here all the same, and the page says the entity's
    keys and tokens may still work there; Disable again finishes it."""
    simulator.fault(path_prefix=f"/entities/{acme.entity_id}/disable", status=503, count=9)
    client.force_login(staff)
    data = {"action": "disable", "_selected_action": [acme.pk], "confirmed": "yes"}
    page = client.post(CHANGELIST, data, follow=True).content.decode()
    assert "Open invoicing is blocked here, but Space Invoices has not confirmed" in page
    assert "keys and tokens may still work there" in page and "503" in page
    assert "done for" not in page
    assert not Customer.objects.get(pk=acme.pk).is_active
    assert enabled_upstream(simulator, account_key, acme.entity_id)
    audit = StaffAction.objects.get(action="disable")
    assert (audit.succeeded, audit.customer, audit.actor) == (False, acme, staff)
    assert "launches blocked here" in audit.detail and "503" in audit.detail
    # The list and the page say the disabling is not confirmed, and still offer Disable.
    listed = client.get(CHANGELIST).content.decode()
    assert "Disabled here only: not confirmed at Space Invoices" in listed
    act = reverse("admin:tenants_customer_act", args=[acme.pk, "disable"])
    assert (
        act in client.get(reverse("admin:tenants_customer_change", args=[acme.pk])).content.decode()
    )
    client.force_login(User.objects.get(email="bo@acme.example"))
    refused = client.post(reverse("open_invoicing", args=["acme"]))
    assert refused.status_code == 403 and simulator.stats()["tokens_minted"] == 0
    simulator.clear_faults()
    client.force_login(staff)
    client.post(act, {"confirmed": "yes"})  # again, from the page: now applied upstream too
    assert not enabled_upstream(simulator, account_key, acme.entity_id)
    listed = client.get(CHANGELIST).content.decode()
    assert "not confirmed at Space Invoices" not in listed and "Disabled" in listed
    assert (
        act
        not in client.get(reverse("admin:tenants_customer_change", args=[acme.pk])).content.decode()
    )
    assert StaffAction.objects.filter(action="disable", succeeded=True).count() == 1
    customer_enable(customer=acme, actor="t")
    assert enabled_upstream(simulator, account_key, acme.entity_id)
    assert Customer.objects.get(pk=acme.pk).is_active


def test_a_disable_whose_answer_was_lost_is_confirmed_by_the_next_drift_check(
    client, staff, acme, simulator, account_key
):
    """Space Invoices disabled the entity; its answer never came. Reconcile (or Check
    drift), as the message says, sees it disabled there and clears the mark."""
    from tenants.errors import PartlyApplied
    from tenants.services import customer_drift_apply

    simulator.fault(path_prefix=f"/entities/{acme.entity_id}/disable", drop="after", count=9)
    with pytest.raises(PartlyApplied):
        customer_disable(customer=acme, actor="t")
    simulator.clear_faults()
    assert not enabled_upstream(simulator, account_key, acme.entity_id)
    assert Customer.objects.get(pk=acme.pk).disable_unconfirmed_since is not None
    assert customer_drift_apply(customer=acme, actor="t") == []  # acme: loaded before
    assert Customer.objects.get(pk=acme.pk).disable_unconfirmed_since is None
    assert not Customer.objects.get(pk=acme.pk).is_active  # never undone by a stale copy
    assert not enabled_upstream(simulator, account_key, acme.entity_id)
    client.force_login(staff)
    listed = client.get(CHANGELIST).content.decode()
    assert "not confirmed at Space Invoices" not in listed and "Disabled" in listed


def test_reconcile_with_a_copy_loaded_before_a_failed_disable_never_enables(
    acme, simulator, account_key
):
    from tenants.errors import PartlyApplied
    from tenants.services import customer_drift_apply

    stale = Customer.objects.get(pk=acme.pk)  # active, as loaded before the Disable
    simulator.fault(path_prefix=f"/entities/{acme.entity_id}/disable", status=503, count=3)
    with pytest.raises(PartlyApplied):
        customer_disable(customer=acme, actor="t")
    simulator.clear_faults()
    customer_drift_apply(customer=stale, actor="t")
    assert not Customer.objects.get(pk=acme.pk).is_active
    assert not enabled_upstream(simulator, account_key, acme.entity_id)  # finished instead


def test_a_failed_enable_changes_nothing_here(acme, simulator, account_key):
    customer_disable(customer=acme, actor="t")
    simulator.fault(path_prefix=f"/entities/{acme.entity_id}/enable", status=503, count=9)
    with pytest.raises(Unavailable, match="503"):
        customer_enable(customer=acme, actor="t")
    assert not Customer.objects.get(pk=acme.pk).is_active
    assert not enabled_upstream(simulator, account_key, acme.entity_id)
    audit = StaffAction.objects.get(action="enable")
    assert (audit.succeeded, audit.actor_label) == (False, "t") and "503" in audit.detail


def test_an_unprovisioned_customer_is_disabled_here_only(make_customer, simulator):
    customer = customer_disable(customer=make_customer(), actor="t")
    assert not customer.is_active and not Customer.objects.get(pk=customer.pk).is_active
    assert simulator.requests_to("POST /entities/{id}/disable") == 0
    assert StaffAction.objects.get(action="disable").customer == customer


def test_the_admins_access_mode_switch_says_what_happens_upstream_then_goes_through_the_service(
    client, staff, acme, simulator, account_key
):
    client.force_login(staff)
    page = reverse("admin:tenants_customer_change", args=[acme.pk])
    # The form no longer switches a provisioned customer: a posted mode is ignored.
    client.post(page, change_form_data(acme, access_mode="api_key"))
    assert Customer.objects.get(pk=acme.pk).access_mode == "user"
    switch = reverse("admin:tenants_customer_act", args=[acme.pk, "switch_to_api_key"])
    assert switch in client.get(page).content.decode()  # the button on the customer page
    confirmation = client.get(switch).content.decode()
    assert "Removes every user of each entity at Space Invoices" in confirmation
    assert len(upstream_users(simulator, account_key, acme.entity_id)) == 2  # asked, not done
    done = client.post(switch, {"confirmed": "yes"})
    assert done.status_code == 302 and done["Location"] == page
    assert upstream_users(simulator, account_key, acme.entity_id) == {}
    assert set(acme.memberships.values_list("sync_state", flat=True)) == {SyncState.NOT_APPLICABLE}
    audit = StaffAction.objects.get(action="set_access_mode")
    assert (audit.actor, audit.customer, audit.detail) == (staff, acme, "user → api_key")


def test_switching_again_finishes_an_interrupted_switch(acme, simulator, account_key):
    # What a run killed after committing the switch, before telling Space Invoices, leaves.
    Customer.objects.filter(pk=acme.pk).update(access_mode="api_key")
    report = customer_access_mode_set(customer=acme, mode="api_key", actor="t")
    assert report.ok and upstream_users(simulator, account_key, acme.entity_id) == {}
    assert not StaffAction.objects.filter(action="set_access_mode").exists()  # no new switch
    back = customer_access_mode_set(customer=acme, mode="user", actor="t")
    assert back.ok and upstream_users(simulator, account_key, acme.entity_id) == {
        "ana@acme.example": "admin",
        "bo@acme.example": "viewer",
    }


def test_the_command_says_already_when_there_was_nothing_to_switch(
    acme, make_member, simulator, account_key
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    def command(*args: str) -> str:
        out = StringIO()
        call_command("set_access_mode", "--customer", "acme", *args, stdout=out)
        return out.getvalue()

    assert "acme: already user: nothing to switch" in command("--mode", "user", "--dry-run")
    said = command("--mode", "user")
    assert "acme: already user" in said and "now user" not in said and not said.endswith("; \n")
    assert not StaffAction.objects.filter(action="set_access_mode").exists()
    # Already user, with a member Space Invoices refuses: never "switched here".
    make_member(acme, "zed@acme.example", "viewer")
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=1)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 customer"):  # non-zero exit
        call_command("set_access_mode", "--customer", "acme", "--mode", "user", stdout=out)
    refused = out.getvalue()
    assert "acme: FAILED: already user here, but zed@acme.example:" in refused
    assert "switched here" not in refused
    assert "acme: would switch user → api_key" in command("--mode", "api_key", "--dry-run")
    assert "acme: now api_key" in command("--mode", "api_key")
    assert upstream_users(simulator, account_key, acme.entity_id) == {}


def test_an_unknown_mode_is_refused(acme, simulator):
    from tenants.errors import TenantError

    with pytest.raises(TenantError, match="Unknown access mode"):
        customer_access_mode_set(customer=acme, mode="both", actor="t")
    assert Customer.objects.get(pk=acme.pk).access_mode == "user"


def test_the_audit_never_stores_a_secret(acme):
    key = "ek_sandbox_" + "a" * 32
    row = staff_action_record(actor="t", action="attach_key", customer=acme, detail=f"got {key}")
    assert key not in row.detail and "ek_sandbox_***" in row.detail
    assert StaffAction.objects.get(pk=row.pk).detail == row.detail


def test_the_list_action_switches_only_those_in_the_other_mode_and_reports_lagging_ones(
    client, staff, acme, make_customer, make_member, simulator, account_key
):
    """Two customers in key mode and one already in user mode; Space Invoices refuses the
    adds of one: it is switched here and said to lag, with each member's error."""
    client.force_login(staff)
    keyed = []
    for name in ("Bolt", "Cobalt"):
        customer = make_customer(name=name, access_mode="api_key")
        make_member(customer, f"ana@{name.lower()}.example", "admin")
        make_member(customer, f"bo@{name.lower()}.example", "viewer")
        keyed.append(customer_provision(customer=customer, actor="t"))
    bolt, cobalt = keyed
    data = {"action": "switch_to_user", "_selected_action": [acme.pk, bolt.pk, cobalt.pk]}
    page = client.post(CHANGELIST, data).content.decode()
    assert "<h1>Switch to user-based access</h1>" in page
    assert f"<li>Bolt <code>{bolt.slug}</code></li>" in page
    assert f"<li>Cobalt <code>{cobalt.slug}</code></li>" in page and "<li>Acme" not in page
    assert "Adds every active member as a Space Invoices user of the entity" in page
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=2)
    done = client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    shown = [(m.level_tag, m.message) for m in done.context["messages"]]
    lagging = [m for level, m in shown if level == "warning"]
    assert len(lagging) == 1
    assert lagging[0].startswith("Bolt: switched here, but Space Invoices is not in step yet: ")
    errors = lagging[0].split("not in step yet: ", 1)[1].split("; ")
    assert [e.split(":")[0] for e in errors] == ["ana@bolt.example", "bo@bolt.example"]
    assert ("success", "Switch to user-based access: done for 1 customer.") in shown
    assert Customer.objects.get(pk=bolt.pk).access_mode == "user"  # switched here all the same
    assert upstream_users(simulator, account_key, cobalt.entity_id) == {
        "ana@cobalt.example": "admin",
        "bo@cobalt.example": "viewer",
    }
    assert StaffAction.objects.filter(action="set_access_mode").count() == 2
    assert not StaffAction.objects.filter(action="sync_members").exists()  # part of the switch


def test_a_switch_to_users_that_cannot_list_them_leaves_every_member_pending(
    make_customer, make_member, simulator
):
    customer = make_customer(name="Bolt", access_mode="api_key")
    make_member(customer, "ana@bolt.example", "admin")
    customer = customer_provision(customer=customer, actor="t")
    assert set(customer.memberships.values_list("sync_state", flat=True)) == {
        SyncState.NOT_APPLICABLE
    }
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=9)
    with pytest.raises(Exception, match="503"):
        customer_access_mode_set(customer=customer, mode="user", actor="t")
    # Switched here; every member is waiting for the next sync, none "not applicable".
    assert Customer.objects.get(pk=customer.pk).access_mode == "user"
    assert set(customer.memberships.values_list("sync_state", flat=True)) == {SyncState.PENDING}
