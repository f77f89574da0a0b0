"""The membership admin: adding, re-roling and deleting go through the services, upstream
after the admin's own transaction has committed."""

import pytest
from django.urls import reverse

from tenants.models import Membership, StaffAction, SyncState, User
from tenants.services import customer_provision
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(make_customer, make_member, simulator):
    customer = make_customer(name="Acme", slug="acme")
    make_member(customer, "ana@acme.example", "admin")
    return customer_provision(customer=customer, actor="t")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_add_change_and_delete_reach_space_invoices(
    staff_client, staff, acme, simulator, account_key
):
    bo = User.objects.create_user(email="bo@acme.example")
    added = staff_client.post(
        reverse("admin:tenants_membership_add"),
        {"customer": acme.pk, "user": bo.pk, "role": "editor"},
        follow=True,
    )
    assert added.status_code == 200
    membership = Membership.objects.get(user=bo)
    # Applied at once: no warning, and the success message links to the new membership.
    change_url = reverse("admin:tenants_membership_change", args=[membership.pk])
    assert [
        (m.level_tag, f'href="{change_url}"' in m.message) for m in added.context["messages"]
    ] == [("success", True)]
    assert added.redirect_chain == [(reverse("admin:tenants_membership_changelist"), 302)]
    audit = StaffAction.objects.filter(action="add_member").get()
    assert (audit.succeeded, audit.customer) == (True, acme)
    assert membership.sync_state == SyncState.SYNCED and membership.role == "editor"
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "editor"
    assert StaffAction.objects.get(action="add_member").actor == staff

    staff_client.post(
        reverse("admin:tenants_membership_change", args=[membership.pk]), {"role": "viewer"}
    )
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "viewer"
    assert (
        StaffAction.objects.get(action="change_role").detail == "bo@acme.example: editor → viewer"
    )

    deleted = staff_client.post(
        reverse("admin:tenants_membership_delete", args=[membership.pk]),
        {"post": "yes"},
        follow=True,
    )
    shown = [(m.level_tag, m.message) for m in deleted.context["messages"]]
    assert shown[-1] == (
        "success",
        "Removed here and in Space Invoices: bo@acme.example in Acme (viewer).",
    )
    assert not [m for _, m in shown if "deleted successfully" in m]
    assert "bo@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_member_added_twice_is_refused_with_a_message(staff_client, acme, simulator):
    ana = User.objects.get(email="ana@acme.example")
    page = staff_client.post(
        reverse("admin:tenants_membership_add"),
        {"customer": acme.pk, "user": ana.pk, "role": "viewer"},
        follow=True,
    )
    assert b"Membership with this User and Customer already exists." in page.content
    assert Membership.objects.filter(user=ana).count() == 1
    assert simulator.requests_to("POST /entities/users") == 1  # only provisioning's


def test_a_removal_during_an_outage_stays_pending(
    staff_client, staff, acme, simulator, account_key
):
    membership = Membership.objects.get(user__email="ana@acme.example")
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=30)
    page = staff_client.post(
        reverse("admin:tenants_membership_delete", args=[membership.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert page.status_code == 200
    shown = [(m.level_tag, m.message) for m in page.context["messages"]]
    assert shown == [
        (
            "warning",
            "ana@acme.example in Acme (admin): removal pending at Space Invoices; the next sync "
            "finishes it.",
        )
    ]  # and no "deleted successfully"
    assert Membership.objects.get(pk=membership.pk).sync_state == SyncState.REMOVING
    row = StaffAction.objects.get(action="remove_member")
    assert (row.actor, row.succeeded) == (staff, False)  # audited as the staff member
    assert row.detail.startswith("ana@acme.example (saved; not confirmed by Space Invoices:")
    simulator.clear_faults()
    assert "ana@acme.example" in upstream_users(simulator, account_key, acme.entity_id)


def test_user_and_customer_are_fixed_once_made(staff_client, acme):
    membership = Membership.objects.get(user__email="ana@acme.example")
    page = staff_client.get(reverse("admin:tenants_membership_change", args=[membership.pk]))
    assert b'name="customer"' not in page.content and b'name="user"' not in page.content
    assert b'name="role"' in page.content


def test_the_role_space_invoices_confirmed_is_shown_never_edited(staff_client, acme):
    """Applied role is what the sync last saw upstream: a form that offered it would say
    "changed successfully" and change nothing (or, worse, misstate a member's rights)."""
    membership = Membership.objects.get(user__email="ana@acme.example")
    url = reverse("admin:tenants_membership_change", args=[membership.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="applied_role"' not in page and "Applied role" in page
    staff_client.post(url, {"role": "admin", "applied_role": "viewer"})
    assert Membership.objects.get(pk=membership.pk).applied_role == "admin"


def test_a_role_changed_in_the_customer_form_is_audited_from_and_to(
    staff_client, acme, simulator, account_key
):
    from tests.fixtures_portal import change_form_data

    membership = Membership.objects.get(user__email="ana@acme.example")
    data = change_form_data(
        acme,
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-customer": acme.pk,
            "memberships-0-user": membership.user.pk,
            "memberships-0-role": "viewer",
        },
    )
    staff_client.post(reverse("admin:tenants_customer_change", args=[acme.pk]), data)
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "viewer"}
    assert (
        StaffAction.objects.get(action="change_role").detail == "ana@acme.example: admin → viewer"
    )


def test_a_role_change_during_an_outage_is_shown_as_not_applied(
    staff_client, staff, acme, simulator, account_key
):
    membership = Membership.objects.get(user__email="ana@acme.example")
    simulator.fault(path_prefix="/entities/users/", method="PATCH", status=503, count=30)
    page = staff_client.post(
        reverse("admin:tenants_membership_change", args=[membership.pk]),
        {"role": "viewer"},
        follow=True,
    )
    warnings = [m.message for m in page.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "Saved here for ana@acme.example in Acme (viewer), not confirmed by Space Invoices ("
    )  # with the reason in brackets
    assert "503" in warnings[0] and warnings[0].endswith("); the next sync applies it.")
    row = StaffAction.objects.get(action="change_role")
    assert (row.actor, row.succeeded) == (staff, False)
    membership.refresh_from_db()
    assert (membership.role, membership.applied_role) == ("viewer", "admin")
    simulator.clear_faults()
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "admin"}


def test_an_add_during_an_outage_is_shown_as_not_applied(staff_client, staff, acme, simulator):
    bo = User.objects.create_user(email="bo@acme.example")
    simulator.fault(path_prefix="/entities/users", status=503, count=30)
    page = staff_client.post(
        reverse("admin:tenants_membership_add"),
        {"customer": acme.pk, "user": bo.pk, "role": "editor"},
        follow=True,
    )
    # Space Invoices could not even list the users: no reason on the member, none made up.
    assert (
        "warning",
        "Saved here for bo@acme.example in Acme (editor), not confirmed by Space Invoices; "
        "the next sync applies it.",
    ) in [(m.level_tag, m.message) for m in page.context["messages"]]
    row = StaffAction.objects.get(action="add_member")
    assert row.actor == staff
    assert row.detail == "bo@acme.example as editor (applied in Space Invoices by the next sync)"


def offboarding_start(customer) -> None:
    from django.utils import timezone

    type(customer).objects.filter(pk=customer.pk).update(offboarding_started_at=timezone.now())


def test_an_add_to_a_customer_being_offboarded_is_refused_and_not_logged_as_added(
    staff_client, acme, simulator
):
    from django.contrib.admin.models import LogEntry

    offboarding_start(acme)
    bo = User.objects.create_user(email="bo@acme.example")
    page = staff_client.post(
        reverse("admin:tenants_membership_add"),
        {"customer": acme.pk, "user": bo.pk, "role": "editor"},
        follow=True,
    )
    assert page.redirect_chain == [(reverse("admin:tenants_membership_add"), 302)]
    [message] = [str(m) for m in page.context["messages"]]
    assert message == "Acme is being offboarded; nothing is set up for it at Space Invoices."
    assert page.context["messages"]._loaded_messages[0].level_tag == "error"
    assert not Membership.objects.filter(user=bo).exists()
    assert not LogEntry.objects.exists()
    assert simulator.requests_to("POST /entities/users") == 1  # only provisioning's


def test_a_role_change_for_a_customer_being_offboarded_is_refused_with_its_reason(
    staff_client, acme, simulator, account_key
):
    offboarding_start(acme)
    membership = Membership.objects.get(user__email="ana@acme.example")
    page = staff_client.post(
        reverse("admin:tenants_membership_change", args=[membership.pk]),
        {"role": "viewer"},
        follow=True,
    )
    errors = [str(m) for m in page.context["messages"] if m.level_tag == "error"]
    assert errors == ["Acme is being offboarded; nothing is set up for it at Space Invoices."]
    assert Membership.objects.get(pk=membership.pk).role == "admin"
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "admin"}
    assert not StaffAction.objects.filter(action="change_role").exists()
