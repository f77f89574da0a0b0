"""The partner-staff admin: list queries, confirmation steps, permissions, keys never shown."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenants.models import Customer, Membership, StaffAction, User
from tenants.services import customer_provision
from tests.fixtures_portal import change_form_data, upstream_users

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:tenants_customer_changelist")
# The admin saves a form in a transaction and calls Space Invoices once it has committed:
# tests of those forms commit for real.
COMMITS = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_rows(staff_client, make_customer, make_member):
    for n in range(3):
        make_member(make_customer(), f"m{n}@x.example")
    few = changelist_queries(staff_client)
    for n in range(3, 25):
        customer = make_customer()
        make_member(customer, f"m{n}@x.example")
        make_member(customer, f"n{n}@x.example")
    assert changelist_queries(staff_client) == few


def test_list_shows_hint_and_count_never_the_key(
    staff_client, make_customer, make_member, simulator
):
    customer = make_customer(name="Acme")
    make_member(customer, "ana@acme.example", "admin")
    customer = customer_provision(customer=customer, actor="t")
    key = customer.api_keys.active().get()
    page = staff_client.get(CHANGELIST).content.decode()
    assert key.prefix_hint in page and customer.entity_id in page
    assert key.key not in page
    detail = staff_client.get(reverse("admin:tenants_customer_change", args=[customer.pk]))
    assert key.prefix_hint in detail.content.decode()
    assert key.key not in detail.content.decode()


def test_provision_action_asks_first_then_provisions(staff_client, make_customer, simulator):
    customer = make_customer(name="Confirm me")
    data = {"action": "provision", "_selected_action": [customer.pk]}
    first = staff_client.post(CHANGELIST, data)
    assert first.status_code == 200 and b"are you sure" in first.content
    assert simulator.stats()["entities"] == 0
    done = staff_client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    assert b"Provision: done for 1 customer" in done.content
    customer.refresh_from_db()
    assert customer.is_provisioned and simulator.stats()["entities"] == 1
    assert StaffAction.objects.get(action="provision").actor_label == "staff@partner.example"


def test_outage_during_an_action_is_a_message_not_a_traceback(
    staff_client, make_customer, simulator
):
    """Three customers: Space Invoices is down for the first one's rotation only; the
    others are still rotated and counted."""
    customers = [
        customer_provision(customer=make_customer(name=name), actor="t")
        for name in ("A Ltd", "B Ltd", "C Ltd")
    ]
    simulator.fault(path_prefix="/entities/api-keys", method="POST", status=503, count=3)
    page = staff_client.post(
        CHANGELIST,
        {
            "action": "rotate_key",
            "confirmed": "yes",
            "_selected_action": [c.pk for c in customers],
        },
        follow=True,
    )
    assert page.status_code == 200
    shown = [(m.level_tag, m.message) for m in page.context["messages"]]
    assert shown[0][0] == "error" and shown[0][1].startswith("A Ltd: [503 injected_fault]")
    assert shown[1:] == [("success", "Rotate key: done for 2 customers.")]


def test_a_confirmation_goes_back_where_it_was_asked_from(staff_client, make_customer):
    customer = make_customer(name="Back Ltd")
    listed = staff_client.post(CHANGELIST, {"action": "disable", "_selected_action": [customer.pk]})
    assert 'href="" class="button cancel-link"' in listed.content.decode()  # the list again
    assert 'name="csrfmiddlewaretoken"' in listed.content.decode()
    button = reverse("admin:tenants_customer_act", args=[customer.pk, "disable"])
    page = reverse("admin:tenants_customer_change", args=[customer.pk])
    asked = staff_client.get(button).content.decode()
    assert f'href="{page}" class="button cancel-link"' in asked


def test_rotate_needs_its_own_permission(client, make_customer):
    clerk = User.objects.create_user(
        email="clerk@partner.example", password="pw-clerk-123", is_staff=True
    )
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_customer", "change_customer"])
    )
    client.force_login(clerk)
    customer = make_customer()
    page = client.get(CHANGELIST).content.decode()
    assert 'value="rotate_key"' not in page and 'value="provision"' not in page
    detail = client.get(reverse("admin:tenants_customer_change", args=[customer.pk]))
    attach = reverse("admin:tenants_customer_attach_key", args=[customer.pk])
    assert attach not in detail.content.decode()
    assert client.get(attach).status_code == 403
    assert client.get(reverse("admin:tenants_staffaction_changelist")).status_code == 403


def test_audit_is_read_only(staff_client):
    StaffAction.objects.create(actor_label="x", action="provision")
    assert staff_client.get(reverse("admin:tenants_staffaction_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:tenants_staffaction_add")).status_code == 403


@COMMITS
def test_add_member_by_email_and_remove_inline_sync_upstream(
    staff_client, make_customer, simulator, account_key
):
    customer = customer_provision(customer=make_customer(), actor="t")
    url = reverse("admin:tenants_customer_change", args=[customer.pk])
    staff_client.post(
        url,
        change_form_data(customer, new_member_email="fresh@x.example", new_member_role="editor"),
    )
    assert upstream_users(simulator, account_key, customer.entity_id) == {
        "fresh@x.example": "editor"
    }
    membership = customer.memberships.get()
    data = change_form_data(
        customer,
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-customer": customer.pk,
            "memberships-0-user": membership.user.pk,
            "memberships-0-role": "editor",
            "memberships-0-DELETE": "on",
        },
    )
    staff_client.post(url, data)
    assert upstream_users(simulator, account_key, customer.entity_id) == {}
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_bulk_delete_of_memberships_goes_through_the_service(
    staff_client, make_customer, make_member, simulator, account_key
):
    customer = make_customer()
    make_member(customer, "a@x.example")
    make_member(customer, "b@x.example")
    customer = customer_provision(customer=customer, actor="t")
    ids = list(customer.memberships.values_list("pk", flat=True))
    page = staff_client.post(
        reverse("admin:tenants_membership_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        follow=True,
    )
    assert upstream_users(simulator, account_key, customer.entity_id) == {}
    assert not customer.memberships.exists()
    shown = [(m.level_tag, m.message) for m in page.context["messages"]]
    name = customer.name
    assert shown[0] == (
        "success",
        f"Removed here and in Space Invoices: a@x.example in {name} (viewer), b@x.example in "
        f"{name} (viewer).",
    )
    assert ("success", "Successfully deleted 2 memberships.") in shown


def test_a_bulk_delete_during_an_outage_says_which_removals_are_pending(
    staff_client, make_customer, make_member, simulator, account_key
):
    customer = make_customer(name="Bolt")
    make_member(customer, "a@x.example")
    make_member(customer, "b@x.example")
    customer = customer_provision(customer=customer, actor="t")
    ids = list(customer.memberships.values_list("pk", flat=True))
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=30)
    page = staff_client.post(
        reverse("admin:tenants_membership_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        follow=True,
    )
    shown = [(m.level_tag, m.message) for m in page.context["messages"]]
    assert [level for level, _ in shown] == ["warning", "warning"]  # nothing says "deleted"
    assert all("removal pending at Space Invoices" in message for _, message in shown)
    assert customer.memberships.count() == 2
    simulator.clear_faults()
    assert len(upstream_users(simulator, account_key, customer.entity_id)) == 2


def writes(simulator) -> dict:
    """Requests that change something at Space Invoices, by method and path."""
    return {k: n for k, n in simulator.stats()["requests"].items() if not k.startswith("GET")}


@pytest.fixture
def clerk(db):
    """Staff who may look at and edit customers, but hold no upstream permission."""
    user = User.objects.create_user(email="clerk@partner.example", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_customer", "change_customer"])
    )
    return user


@pytest.mark.parametrize(
    "action", ["provision", "sync_members", "disable", "enable", "update_details", "rotate_key"]
)
def test_each_upstream_action_is_refused_without_its_permission(
    client, clerk, make_customer, simulator, action
):
    provisioned = customer_provision(customer=make_customer(), actor="t")
    pending = make_customer()
    client.force_login(clerk)
    before = writes(simulator)
    page = client.post(
        CHANGELIST,
        {"action": action, "confirmed": "yes", "_selected_action": [provisioned.pk, pending.pk]},
        follow=True,
    )
    assert page.status_code == 200 and f'value="{action}"'.encode() not in page.content
    assert writes(simulator) == before
    assert not Customer.objects.get(pk=pending.pk).entity_id
    assert Customer.objects.get(pk=provisioned.pk).is_active


@COMMITS
def test_acting_form_fields_are_absent_without_their_permission(
    client, clerk, make_customer, simulator, account_key
):
    customer = customer_provision(customer=make_customer(access_mode="user"), actor="t")
    client.force_login(clerk)
    url = reverse("admin:tenants_customer_change", args=[customer.pk])
    form = client.get(url).content.decode()
    assert 'name="access_mode"' not in form and 'name="new_member_email"' not in form
    before = writes(simulator)
    client.post(
        url,
        change_form_data(customer, access_mode="api_key", new_member_email="sneak@x.example",
                         new_member_role="admin"),
    )  # fmt: skip
    customer.refresh_from_db()
    assert customer.access_mode == "user" and not customer.memberships.exists()
    assert writes(simulator) == before
    assert upstream_users(simulator, account_key, customer.entity_id) == {}


USERS = reverse("admin:tenants_user_changelist")


def test_deactivate_action_needs_its_permission_and_survives_an_outage(
    client, clerk, staff, make_customer, make_member, simulator, account_key
):
    customer = make_customer()
    member = make_member(customer, "ana@x.example", "admin")
    customer = customer_provision(customer=customer, actor="t")
    clerk.user_permissions.add(*Permission.objects.filter(codename="view_user"))
    client.force_login(clerk)
    data = {"action": "deactivate", "_selected_action": [member.user.pk]}
    client.post(USERS, data)
    assert User.objects.get(pk=member.user.pk).is_active
    client.force_login(staff)
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=3)
    page = client.post(USERS, data, follow=True)
    assert page.status_code == 200 and b"not yet everywhere in Space Invoices" in page.content
    assert not User.objects.get(pk=member.user.pk).is_active
    client.post(USERS, data)  # Space Invoices is back: the next run removes them there
    assert upstream_users(simulator, account_key, customer.entity_id) == {}


def test_the_confirmation_lists_what_will_change_and_reports_each_outcome(
    staff_client, make_customer, simulator
):
    first = customer_provision(customer=make_customer(name="First Ltd"), actor="t")
    second = customer_provision(customer=make_customer(name="Second Ltd"), actor="t")
    data = {"action": "rotate_key", "_selected_action": [first.pk, second.pk]}
    page = staff_client.post(CHANGELIST, data).content.decode()
    assert "<h1>Rotate key</h1>" in page and "Launches keep working throughout." in page
    # Each by name and slug: two customers may share a name, never a slug.
    assert f"<li>First Ltd <code>{first.slug}</code></li>" in page
    assert f"<li>Second Ltd <code>{second.slug}</code></li>" in page
    assert f'name="_selected_action" value="{first.pk}"' in page
    assert 'name="action" value="rotate_key"' in page and 'value="Yes, rotate key"' in page
    # The second customer's old key cannot be deleted upstream: a warning for it alone.
    old = second.api_keys.active().get().key
    simulator.fault(path_prefix=f"/entities/api-keys/{old}", method="DELETE", status=503, count=9)
    done = staff_client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    text = done.content.decode()
    assert "Rotate key: done for 1 customer." in text
    assert "Second Ltd: old key ek_sandbox_" in text and "not deleted yet" in text
    assert "First Ltd:" not in text


def test_staff_who_chose_german_confirm_and_read_the_outcome_in_german(
    staff_client, staff, make_customer, simulator
):
    staff.language = "de"
    staff.save()
    customer = make_customer(name="Sprich deutsch")
    data = {"action": "provision", "_selected_action": [customer.pk]}
    assert "Bei Space Invoices einrichten" in staff_client.get(CHANGELIST).content.decode()
    first = staff_client.post(CHANGELIST, data).content.decode()
    assert "<h1>Einrichten</h1>" in first and 'value="Ja, einrichten"' in first
    done = staff_client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    assert "Einrichten: erledigt, Kunde: 1." in done.content.decode()
    assert simulator.stats()["entities"] == 1


def test_the_status_column_names_only_what_needs_attention(
    staff_client, make_customer, make_member
):
    from tenants.models import SyncState

    healthy = make_customer(name="Healthy", slug="healthy", provisioning_state="provisioned")
    troubled = make_customer(name="Troubled", slug="troubled", provisioning_state="provisioned")
    for n in range(2):
        member = make_member(troubled, f"m{n}@troubled.example")
        Membership.objects.filter(pk=member.pk).update(sync_state=SyncState.FAILED)
    Customer.objects.filter(pk=troubled.pk).update(is_active=False)
    page = staff_client.get(CHANGELIST).content.decode()
    row = {
        c.name: page.split(f">{c.name}</a>", 1)[1].split("</tr>", 1)[0] for c in (healthy, troubled)
    }
    assert "2 members failed to sync" in row["Troubled"] and "Disabled" in row["Troubled"]
    assert "failed to sync" not in row["Healthy"] and "Disabled" not in row["Healthy"]
    Membership.objects.filter(user__email="m1@troubled.example").delete()
    assert "1 member failed to sync" in staff_client.get(CHANGELIST).content.decode()
