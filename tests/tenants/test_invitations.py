"""Add, sync and launch under both plausible meanings of ``send_invite: false``, and resend.

The contract leaves open what ``send_invite: false`` does for an email with no Space
Invoices user yet: (a) an active white-label user at once, or (b) a pending invitation with
no email. The portal must work under either; the simulator can be switched between them.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from embedding.models import LaunchEvent
from tenants.models import Membership, StaffAction, SyncState, User
from tenants.services import customer_provision, members_sync, membership_add

pytestmark = pytest.mark.django_db
BEHAVIOURS = {"active_user": SyncState.SYNCED, "pending_invitation": SyncState.INVITED}
MEMBERS = reverse("admin:tenants_membership_changelist")


@pytest.fixture
def acme_under(make_customer, make_member, simulator):
    def provision(behaviour: str):
        simulator.behaviour(send_invite_false=behaviour)
        customer = make_customer(name="Acme", slug="acme")
        make_member(customer, "ana@acme.example", "admin")
        make_member(customer, "bo@acme.example", "viewer")
        return customer_provision(customer=customer, actor="test")

    return provision


def state_of(email: str) -> str:
    return Membership.objects.get(user__email=email).sync_state


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_add_sync_and_launch(behaviour, acme_under, login_as, simulator):
    acme = acme_under(behaviour)
    expected = BEHAVIOURS[behaviour]
    assert acme.is_provisioned
    assert {state_of("ana@acme.example"), state_of("bo@acme.example")} == {expected}
    membership_add(customer=acme, email="cy@acme.example", role="editor", actor="test")
    assert state_of("cy@acme.example") == expected
    adds = simulator.requests_to("POST /entities/users")
    report = members_sync(customer=acme, actor="test")
    assert report.ok and report.changes == []
    assert simulator.requests_to("POST /entities/users") == adds  # nothing added twice
    assert state_of("bo@acme.example") == expected

    team = login_as("ana@acme.example").get(reverse("customer", args=["acme"]))
    invited_shown = b"Invited to invoicing, not accepted yet" in team.content
    assert invited_shown == (behaviour == "pending_invitation")

    answer = login_as("bo@acme.example").post(reverse("open_invoicing", args=["acme"]))
    if behaviour == "active_user":
        assert answer.status_code == 303
        assert LaunchEvent.objects.get().outcome == LaunchEvent.Outcome.LAUNCHED
    else:
        assert (
            answer.status_code == 409
            and b"waiting for an invitation to be accepted" in answer.content
        )
        assert LaunchEvent.objects.get().outcome == LaunchEvent.Outcome.INVITED
    assert simulator.stats()["emails_sent"] == 0  # white-label: Space Invoices mailed nobody


def test_an_accepted_invitation_lets_the_member_in_at_once(
    acme_under, login_as, simulator, account_key
):
    acme = acme_under("pending_invitation")
    invitations = simulator.api(
        "GET", "/entities/invitations", account_key, headers={"x-entity-id": acme.entity_id}
    ).json()["data"]
    [bo] = [i for i in invitations if i["email"] == "bo@acme.example"]
    assert simulator.accept_invitation(bo["id"]).status_code == 200
    answer = login_as("bo@acme.example").post(reverse("open_invoicing", args=["acme"]))
    assert answer.status_code == 303
    assert state_of("bo@acme.example") == SyncState.SYNCED
    assert Membership.objects.get(user__email="bo@acme.example").invitation_id == ""


def resend(client, membership):
    data = {"action": "resend_invitation", "_selected_action": [membership.pk]}
    return client.post(MEMBERS, data), client.post(MEMBERS, {**data, "confirmed": "yes"})


def test_resend_warns_then_has_space_invoices_email_the_member(
    acme_under, client, staff, simulator
):
    acme_under("pending_invitation")
    client.force_login(staff)
    bo = Membership.objects.get(user__email="bo@acme.example")
    warning, done = resend(client, bo)
    assert b"in Space Invoices&#x27; branding, not yours" in warning.content
    assert done.status_code == 302
    assert simulator.stats()["emails_sent"] == 1
    assert StaffAction.objects.get(action="resend_invitation").succeeded


def test_resend_for_someone_not_invited_is_refused_with_a_message(
    acme_under, client, staff, simulator
):
    acme_under("active_user")
    client.force_login(staff)
    _, done = resend(client, Membership.objects.get(user__email="bo@acme.example"))
    assert simulator.stats()["emails_sent"] == 0
    page = client.get(done["Location"])
    assert b"has no pending invitation" in page.content
    assert not StaffAction.objects.get(action="resend_invitation").succeeded


def test_resend_needs_its_own_permission(acme_under, client, simulator):
    acme_under("pending_invitation")
    clerk = User.objects.create_user(email="clerk@partner.example", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_membership", "change_membership"])
    )
    client.force_login(clerk)
    assert b'value="resend_invitation"' not in client.get(MEMBERS).content
    resend(client, Membership.objects.get(user__email="bo@acme.example"))
    assert simulator.stats()["emails_sent"] == 0
    assert simulator.requests_to("POST /entities/invitations/{id}/resend") == 0
    assert not StaffAction.objects.filter(action="resend_invitation").exists()


def test_a_resend_records_the_invitation_and_who_asked(acme_under, staff, simulator, account_key):
    from tenants.services import invitation_resend

    acme = acme_under("pending_invitation")
    bo = Membership.objects.get(user__email="bo@acme.example")
    Membership.objects.filter(pk=bo.pk).update(invitation_id="", sync_state=SyncState.SYNCED)
    invitation_resend(membership=bo, actor=staff)
    bo.refresh_from_db()
    pending = simulator.api(
        "GET", "/entities/invitations", account_key, headers={"x-entity-id": acme.entity_id}
    ).json()["data"]
    [theirs] = [i for i in pending if i["email"] == "bo@acme.example"]
    assert (bo.invitation_id, bo.sync_state) == (theirs["id"], SyncState.INVITED)
    audit = StaffAction.objects.get(action="resend_invitation")
    assert (audit.actor, audit.customer, audit.detail) == (staff, acme, "bo@acme.example")
    assert simulator.bodies("POST /entities/invitations/{id}/resend") == [None]
    # Sent with the id recorded before the call, so that a re-run can replay it.
    [intent] = acme.upstream_intents.filter(step=f"invitation.resend:{theirs['id']}")
    assert simulator.request_ids("POST /entities/invitations/{id}/resend") == [intent.request_id]


def test_no_resend_for_a_customer_not_provisioned(make_customer, make_member, simulator):
    from tenants.errors import NotProvisioned
    from tenants.services import invitation_resend

    member = make_member(make_customer(name="Newco"), "x@newco.example")
    with pytest.raises(NotProvisioned, match="Newco is not provisioned yet"):
        invitation_resend(membership=member, actor="t")
    assert simulator.stats()["emails_sent"] == 0


def test_resend_acts_on_the_customers_own_entity(acme_under, make_customer, staff, simulator):
    from tenants.services import invitation_resend

    acme = acme_under("pending_invitation")
    customer_provision(customer=make_customer(name="Second"), actor="t")  # two entities now
    invitation_resend(membership=Membership.objects.get(user__email="bo@acme.example"),
                      actor=staff)  # fmt: skip
    assert simulator.stats()["emails_sent"] == 1
    assert StaffAction.objects.get(action="resend_invitation").customer == acme


def test_a_failed_resend_is_audited_with_who_and_why(acme_under, staff, simulator):
    from spaceinvoices.client import Unavailable
    from tenants.services import invitation_resend

    acme = acme_under("pending_invitation")
    simulator.fault(path_prefix="/entities/invitations/", method="POST", status=503, count=9)
    with pytest.raises(Unavailable):
        invitation_resend(membership=Membership.objects.get(user__email="bo@acme.example"),
                          actor=staff)  # fmt: skip
    audit = StaffAction.objects.get(action="resend_invitation")
    assert (audit.succeeded, audit.actor, audit.customer) == (False, staff, acme)
    assert audit.detail.startswith("bo@acme.example: [503")


def test_a_bulk_resend_reports_each_refusal_and_counts_the_rest(
    acme_under, client, staff, make_member, simulator
):
    acme = acme_under("pending_invitation")
    simulator.behaviour(send_invite_false="active_user")
    make_member(acme, "cy@acme.example", "viewer")
    members_sync(customer=acme)
    chosen = list(Membership.objects.order_by("pk").values_list("pk", flat=True))
    client.force_login(staff)
    data = {"action": "resend_invitation", "_selected_action": chosen, "confirmed": "yes"}
    page = client.post(MEMBERS, data, follow=True)
    shown = [(m.level_tag, m.message) for m in page.context["messages"]]
    assert [level for level, _ in shown] == ["error", "success"]
    assert shown[0][1].startswith("cy@acme.example in Acme (viewer): ")
    assert "has no pending invitation" in shown[0][1]
    assert shown[1][1] == "Resend invitation: done for 2 memberships."
    assert simulator.stats()["emails_sent"] == 2
