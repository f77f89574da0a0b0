"""Member sync, onboarding, role changes, removal and deactivation, against the simulator."""

import re
import threading
import time

import pytest
from django.core import mail

from tenants.errors import TenantError
from tenants.models import Membership, StaffAction, SyncState, User
from tenants.services import (
    customer_access_mode_set,
    customer_provision,
    members_sync,
    membership_add,
    membership_remove,
    membership_role_set,
    user_active_set,
)
from tests.fixtures_portal import upstream_users, user_invited_upstream


@pytest.fixture
def acme(make_customer, make_member, simulator):
    customer = make_customer(name="Acme")
    make_member(customer, "ana@acme.example", "admin")
    return customer_provision(customer=customer, actor="test")


def test_add_member_by_email_creates_user_and_sends_branded_email(
    acme, simulator, account_key, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    with django_capture_on_commit_callbacks(execute=True):
        membership = membership_add(
            customer=acme, email="New@Acme.example", role="editor", actor="test"
        )
    assert membership.sync_state == SyncState.SYNCED and membership.si_user_id
    user = membership.user
    assert user.email == "new@acme.example" and not user.has_usable_password()
    [message] = mail.outbox
    assert "Ledger & Co" in message.subject and "/accounts/reset/" in message.body
    assert upstream_users(simulator, account_key, acme.entity_id)["new@acme.example"] == "editor"
    assert simulator.stats()["invitations"] == 0  # white-label: no Space Invoices email
    # One add, with the role, and the request id recorded before it was sent.
    assert simulator.bodies("POST /entities/users")[-1] == {
        "email": "new@acme.example", "role": "editor", "send_invite": False,
    }  # fmt: skip
    assert simulator.requests_to("PATCH /entities/users/{id}") == 0
    [intent] = acme.upstream_intents.filter(step=f"member.add:{membership.uuid}")
    assert simulator.request_ids("POST /entities/users")[-1] == intent.request_id


def test_an_existing_user_added_elsewhere_is_told_where_and_keeps_one_login(
    acme, make_customer, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.example.com/eXX/"  # a path, a trailing slash
    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    settings.PORTAL_SUPPORT_EMAIL = "help@ledger.example"
    settings.DEFAULT_FROM_EMAIL = "noreply@portal.example.com"
    other = make_customer(name="Globex")
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(customer=other, email="ana@acme.example", role="viewer", actor="t")
    assert User.objects.filter(email="ana@acme.example").count() == 1
    [message] = mail.outbox
    assert (message.to, message.from_email) == (["ana@acme.example"], "noreply@portal.example.com")
    assert message.subject == "Ledger & Co: you have been added to Globex"
    assert message.body == (
        "Hello,\n\nYou have been added to Globex on Ledger & Co. Sign in as usual to see it:\n"
        "https://portal.example.com/eXX/accounts/login/\n\n"
        "If you did not expect this, write to help@ledger.example.\n\nLedger & Co\n\n"
    )
    assert "/reset/" not in message.body  # their password stays theirs


def test_someone_removed_before_choosing_a_password_is_welcomed_again_with_a_link(
    acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = membership_add(customer=acme, email="cy@acme.example", role="viewer", actor="t")
    assert membership_remove(membership=first, actor="t") is True
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(customer=acme, email="cy@acme.example", role="editor", actor="t")
    welcome, again = mail.outbox
    assert "/accounts/reset/" in welcome.body and "/accounts/reset/" in again.body
    assert "Sign in as usual" not in again.body  # they never chose a password


def test_a_turned_off_account_is_refused_with_nothing_saved_sent_or_asked_upstream(
    acme, simulator, django_capture_on_commit_callbacks
):
    User.objects.create_user(email="gone@acme.example", password="pw-gone-1234", is_active=False)
    before = (simulator.requests_to("POST /entities/users"), StaffAction.objects.count())
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(TenantError, match="account is turned off, so they cannot be added"),
    ):
        membership_add(customer=acme, email="gone@acme.example", role="editor", actor="t")
    assert not Membership.objects.filter(user__email="gone@acme.example").exists()
    assert mail.outbox == []
    assert (simulator.requests_to("POST /entities/users"), StaffAction.objects.count()) == before


def test_adding_someone_still_being_removed_says_so_and_keeps_the_removal(acme):
    ana = acme.memberships.get()
    ana.sync_state = SyncState.REMOVING
    ana.save()
    with pytest.raises(TenantError, match="is still being removed from this team: add them"):
        membership_add(customer=acme, email="ana@acme.example", role="viewer", actor="t")
    assert Membership.objects.get(pk=ana.pk).sync_state == SyncState.REMOVING


@pytest.mark.parametrize(
    "email", ["user@[127.0.0.1]", "user@[IPv6:::1]", "user@localhost", "user@intranet"]
)
def test_an_address_at_a_bare_ip_or_a_local_name_is_refused(acme, simulator, email):
    before = (User.objects.count(), simulator.requests_to("POST /entities/users"))
    with pytest.raises(TenantError, match="not at a bare IP address or a local name"):
        membership_add(customer=acme, email=email, role="viewer", actor="t")
    assert (User.objects.count(), simulator.requests_to("POST /entities/users")) == before


def test_role_change_and_removal_sync_upstream(acme, simulator, account_key):
    membership = acme.memberships.get()
    membership_role_set(membership=membership, role="viewer", actor="t")
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "viewer"}
    assert membership_remove(membership=membership, actor="t") is True
    assert upstream_users(simulator, account_key, acme.entity_id) == {}
    [intent] = acme.upstream_intents.filter(step=f"member.remove:{membership.uuid}")
    assert simulator.request_ids("DELETE /entities/users/{id}") == [intent.request_id]
    assert not Membership.objects.filter(pk=membership.pk).exists()
    actions = set(StaffAction.objects.values_list("action", flat=True))
    assert {"change_role", "remove_member"} <= actions


def test_removal_that_fails_upstream_is_finished_by_the_next_sync(acme, simulator, account_key):
    membership = acme.memberships.get()
    simulator.fault(path_prefix="/entities/users/", method="DELETE", status=503, count=9)
    assert membership_remove(membership=membership, actor="t") is False
    membership.refresh_from_db()
    assert membership.sync_state == SyncState.REMOVING
    simulator.clear_faults()
    assert members_sync(customer=acme, actor="t").ok
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert upstream_users(simulator, account_key, acme.entity_id) == {}


def test_sync_adopts_on_409_and_removes_strangers(acme, make_member, simulator, account_key):
    headers = {"x-entity-id": acme.entity_id}
    simulator.api(
        "POST",
        "/entities/users",
        account_key,
        headers=headers,
        json={"email": "bo@acme.example", "role": "admin", "send_invite": False},
    )
    simulator.api(
        "POST",
        "/entities/users",
        account_key,
        headers=headers,
        json={"email": "stranger@x.example", "send_invite": False},
    )
    bo = make_member(acme, "bo@acme.example", "viewer")
    preview = members_sync(customer=acme, actor="t", dry_run=True)
    assert preview.changes == [
        "set bo@acme.example to viewer",
        "remove stranger@x.example (not a member)",
    ]
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "admin"
    report = members_sync(customer=acme, actor="t")
    assert report.ok
    assert upstream_users(simulator, account_key, acme.entity_id) == {
        "ana@acme.example": "admin",
        "bo@acme.example": "viewer",
    }
    bo.refresh_from_db()
    assert bo.sync_state == SyncState.SYNCED and bo.si_user_id


def test_a_user_added_in_the_dashboard_during_the_sync_is_adopted_and_given_the_role(
    acme, make_customer, make_member, simulator, account_key
):
    """The sync lists the users, then adds Bo; in between someone adds Bo (as admin, and
    with capitals) in the Space Invoices dashboard. The add answers 409: the sync adopts
    that user and sets the portal's role."""
    from tenants.services import customer_provision as provision

    provision(customer=make_customer(name="Other"), actor="t")  # the entity header matters
    bo = make_member(acme, "bo@acme.example", "viewer")
    adds_before = simulator.requests_to("POST /entities/users")
    simulator.fault(path_prefix="/entities/users", method="POST", delay_ms=1500)

    def add_in_the_dashboard():
        deadline = time.monotonic() + 10
        while simulator.requests_to("POST /entities/users") == adds_before:
            assert time.monotonic() < deadline, "the sync never sent its add"
            time.sleep(0.02)  # the sync's add is being held by the delay: add Bo first
        simulator.api(
            "POST",
            "/entities/users",
            account_key,
            headers={"x-entity-id": acme.entity_id},
            json={"email": "Bo@Acme.example", "role": "admin", "send_invite": False},
        ).raise_for_status()

    dashboard = threading.Thread(target=add_in_the_dashboard)
    dashboard.start()
    report = members_sync(customer=acme, actor="t")
    dashboard.join()
    assert report.ok, report.errors
    users = upstream_users(simulator, account_key, acme.entity_id)
    assert users == {"ana@acme.example": "admin", "bo@acme.example": "viewer"}  # one Bo
    bo.refresh_from_db()
    assert bo.sync_state == SyncState.SYNCED and bo.applied_role == "viewer"
    raw = simulator.api(
        "GET", "/entities/users", account_key, headers={"x-entity-id": acme.entity_id}
    )
    [upstream_bo] = [u for u in raw.json()["data"] if u["email"] == "bo@acme.example"]
    assert bo.si_user_id == upstream_bo["user_id"]


def test_a_conflict_for_a_user_that_is_not_there_is_reported_not_adopted(
    acme, make_member, simulator, account_key
):
    bo = make_member(acme, "bo@acme.example", "viewer")
    simulator.fault(path_prefix="/entities/users", method="POST", status=409)
    report = members_sync(customer=acme, actor="t")
    assert len(report.errors) == 1 and report.errors[0].startswith("bo@acme.example: [409 ")
    bo.refresh_from_db()
    assert bo.sync_state == SyncState.FAILED and bo.si_user_id == ""  # never ana's id
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "admin"}


def test_sync_shows_a_pending_invitation(acme, make_member, simulator, account_key):
    user_invited_upstream(simulator, account_key, acme.entity_id, "inv@acme.example")
    member = make_member(acme, "inv@acme.example", "viewer")
    members_sync(customer=acme, actor="t")
    member.refresh_from_db()
    assert member.sync_state == SyncState.INVITED and member.invitation_id.startswith("einv_")


def test_per_member_errors_are_collected(acme, make_member, simulator):
    make_member(acme, "x1@acme.example", "viewer")
    make_member(acme, "x2@acme.example", "viewer")
    simulator.fault(
        path_prefix="/entities/users",
        method="POST",
        status=422,
        count=1,
        body={"code": "validation_error", "message": "email refused"},
    )
    report = members_sync(customer=acme, actor="t")
    assert len(report.errors) == 1 and "email refused" in report.errors[0]
    states = dict(acme.memberships.values_list("user__email", "sync_state"))
    assert sorted(states.values()) == ["failed", "synced", "synced"]
    assert members_sync(customer=acme, actor="t").ok


def test_deactivating_a_user_removes_them_upstream_and_reactivating_restores(
    acme, simulator, account_key
):
    user = User.objects.get(email="ana@acme.example")
    user_active_set(user=user, active=False, actor="t")
    assert upstream_users(simulator, account_key, acme.entity_id) == {}
    membership = acme.memberships.get()
    assert membership.sync_state == SyncState.INACTIVE
    # Nothing of the removed user is left on the membership.
    assert (membership.si_user_id, membership.applied_role, membership.invitation_id) == (
        "",
        "",
        "",
    )
    user_active_set(user=user, active=True, actor="t")
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "admin"}


def test_switching_access_mode_removes_and_restores_users(acme, simulator, account_key):
    customer_access_mode_set(customer=acme, mode="api_key", actor="t")
    assert upstream_users(simulator, account_key, acme.entity_id) == {}
    assert acme.memberships.get().sync_state == SyncState.NOT_APPLICABLE
    customer_access_mode_set(customer=acme, mode="user", actor="t")
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "admin"}


@pytest.mark.parametrize(
    "fault",
    [
        {"method": "PATCH", "drop": "after"},
        {"method": "PATCH", "status": 503},
        {"method": "DELETE", "drop": "after"},
        {"method": "DELETE", "status": 503},
    ],
    ids=["role-drop", "role-503", "remove-drop", "remove-503"],
)
def test_sync_fault_then_a_clean_rerun(acme, make_member, simulator, account_key, fault):
    bo = make_member(acme, "bo@acme.example", "viewer")
    members_sync(customer=acme, actor="t")
    ana = acme.memberships.get(user__email="ana@acme.example")
    ana.role = "editor"
    ana.save()
    bo.sync_state = SyncState.REMOVING
    bo.save()
    simulator.fault(path_prefix="/entities/users/", count=9, **fault)
    assert not members_sync(customer=acme, actor="t").ok
    simulator.clear_faults()
    assert members_sync(customer=acme, actor="t").ok
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "editor"}
    assert not Membership.objects.filter(pk=bo.pk).exists()
    assert acme.memberships.get().last_error == ""  # the failure's reason is gone with it
    assert members_sync(customer=acme, actor="t", dry_run=True).changes == []


def test_deactivation_during_an_outage_is_reported_and_the_rest_still_synced(
    acme, make_customer, make_member, simulator, account_key
):
    other = make_customer(name="Other")
    make_member(other, "ana@acme.example", "viewer")
    other = customer_provision(customer=other, actor="t")
    ana = User.objects.get(email="ana@acme.example")
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=3)
    make_member(make_customer(name="Newco"), "ana@acme.example", "viewer")  # no entity yet
    reports = user_active_set(user=ana, active=False, actor="t")
    assert not User.objects.get(pk=ana.pk).is_active
    assert len(reports) == 2  # the customer without an entity has nothing to sync
    [failed] = [r for r in reports if r.errors]
    assert failed.customer in (acme.slug, other.slug)
    assert failed.errors[0].startswith("[503 ")
    assert StaffAction.objects.get(action="deactivate_user").detail == "ana@acme.example"
    synced = [c for c in (acme, other) if "ana@acme.example" not in upstream_users(
        simulator, account_key, c.entity_id)]  # fmt: skip
    assert len(synced) == 1  # the customer Space Invoices answered for is in step


def test_adds_and_removals_are_audited_with_who_and_where(acme, make_customer, simulator):
    from tenants.errors import TenantError

    with pytest.raises(TenantError, match=r"Unknown role 'owner'; use viewer, editor or admin\."):
        membership_add(customer=acme, email="x@acme.example", role="owner", actor="t")
    added = membership_add(customer=acme, email="  Cy@ACME.example ", role="editor", actor="ops")
    assert added.user.email == "cy@acme.example"
    with pytest.raises(
        TenantError, match=r"cy@acme\.example is already a member of this team \(Acme\)\."
    ):
        membership_add(customer=acme, email="CY@acme.example", role="viewer", actor="ops")
    audit = StaffAction.objects.get(action="add_member")
    assert (audit.actor_label, audit.customer, audit.detail) == (
        "ops", acme, "cy@acme.example as editor",
    )  # fmt: skip
    assert membership_remove(membership=added, actor="ops") is True
    removal = StaffAction.objects.get(action="remove_member")
    assert (removal.actor_label, removal.customer, removal.detail) == (
        "ops", acme, "cy@acme.example",
    )  # fmt: skip
    with pytest.raises(TenantError, match="Unknown role"):
        membership_role_set(membership=acme.memberships.get(), role="owner", actor="t")
    assert acme.memberships.get().role == "admin"


def test_a_member_of_a_customer_not_yet_provisioned_is_added_and_removed_here_only(
    make_customer, simulator
):
    pending = make_customer()
    membership = membership_add(customer=pending, email="dee@x.example", role="viewer", actor="t")
    assert membership.sync_state == SyncState.PENDING
    assert membership_remove(membership=membership, actor="t") is True
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert simulator.requests_to("POST /entities/users") == 0


def test_the_welcome_email_names_the_company_and_links_from_the_base_url(
    acme, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.example.com/eXX/"  # a path, a trailing slash
    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    settings.DEFAULT_FROM_EMAIL = "noreply@portal.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(customer=acme, email="eve@acme.example", role="viewer", actor="t")
    [message] = mail.outbox
    assert message.to == ["eve@acme.example"]
    assert message.from_email == "noreply@portal.example.com"
    assert message.subject == "Ledger & Co: you have been added to Acme"
    assert "https://portal.example.com/eXX/accounts/reset/" in message.body
    assert "eXX//" not in message.body
    settings.PORTAL_SUPPORT_EMAIL = "help@ledger.example"
    assert message.body.startswith("Hello,\n\nYou have been added to Acme on Ledger & Co.")
    assert "Questions? Write to support@example.com." in message.body
    assert message.body.rstrip().endswith("Ledger & Co")


def test_the_welcome_link_lets_the_new_member_choose_a_password(
    acme, settings, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(customer=acme, email="eve@acme.example", role="viewer", actor="t")
    link = re.search(r"https?://\S+/accounts/reset/\S+", mail.outbox[0].body).group(0)
    form = client.get(link.removeprefix(settings.PORTAL_BASE_URL), follow=True)
    assert b"Choose a password" in form.content
    client.post(form.redirect_chain[-1][0],
                {"new_password1": "eve-chooses-42", "new_password2": "eve-chooses-42"})  # fmt: skip
    assert User.objects.get(email="eve@acme.example").check_password("eve-chooses-42")


def test_activation_is_audited_and_syncs_only_the_users_customers(
    acme, make_customer, simulator, account_key
):
    stranger = customer_provision(customer=make_customer(name="Stranger"), actor="t")
    ana = User.objects.get(email="ana@acme.example")
    before = simulator.requests_to("GET /entities/users")
    reports = user_active_set(user=ana, active=False, actor="ops")
    assert [r.customer for r in reports] == [acme.slug] and reports[0].changes
    assert simulator.requests_to("GET /entities/users") == before + 1  # Acme's only
    user_active_set(user=ana, active=True, actor="ops")
    assert upstream_users(simulator, account_key, acme.entity_id) == {"ana@acme.example": "admin"}
    audits = list(StaffAction.objects.order_by("pk").values_list("action", "actor_label"))
    assert audits[-2:] == [("deactivate_user", "ops"), ("activate_user", "ops")]
    assert upstream_users(simulator, account_key, stranger.entity_id) == {}


def test_a_team_change_is_audited_as_applied_only_once_it_is(
    acme, make_customer, make_member, simulator
):
    ana = acme.memberships.get()
    membership_role_set(membership=ana, role="editor", actor="ops")
    applied = StaffAction.objects.get(action="change_role")
    assert (applied.succeeded, applied.detail) == (True, "ana@acme.example: admin → editor")
    # Nothing to apply for a customer without an entity: done as soon as it is saved.
    membership_add(customer=make_customer(), email="dee@x.example", role="viewer", actor="ops")
    local = StaffAction.objects.get(action="add_member")
    assert (local.succeeded, local.detail) == (True, "dee@x.example as viewer")
    # Two other members Space Invoices refuses: their failure is theirs, not this change's.
    make_member(acme, "bo@acme.example", "viewer")
    make_member(acme, "cy@acme.example", "viewer")
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=2)
    membership_role_set(membership=ana, role="viewer", actor="ops")
    applied = StaffAction.objects.filter(action="change_role").latest("pk")
    assert (applied.succeeded, applied.detail) == (True, "ana@acme.example: editor → viewer")
    assert set(Membership.objects.filter(sync_state="failed").values_list(
        "user__email", flat=True)) == {"bo@acme.example", "cy@acme.example"}  # fmt: skip
    # A change of a member Space Invoices refuses: not applied, and why, in its own words.
    bo = Membership.objects.get(user__email="bo@acme.example")
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=2)
    membership_role_set(membership=bo, role="editor", actor="ops")
    refused = StaffAction.objects.filter(action="change_role").latest("pk")
    assert refused.succeeded is False
    reason = refused.detail.split("(saved; not confirmed by Space Invoices: ", 1)[1]
    assert "422" in reason and "cy@acme.example" not in reason
    # Space Invoices down for the whole sync: its own words are the reason.
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=9)
    membership_role_set(membership=ana, role="editor", actor="ops")
    down = StaffAction.objects.filter(action="change_role").latest("pk")
    assert down.succeeded is False and "not confirmed by Space Invoices: [503 " in down.detail


def test_the_same_role_submitted_again_after_an_outage_is_audited_as_again(acme, simulator):
    ana = acme.memberships.get()
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=9)
    membership_role_set(membership=ana, role="editor", actor="ops")
    assert StaffAction.objects.get(action="change_role").succeeded is False
    simulator.clear_faults()
    membership_role_set(membership=ana, role="editor", actor="ops")  # not "editor → editor"
    again = StaffAction.objects.filter(action="change_role").latest("pk")
    assert (again.succeeded, again.detail) == (
        True, "ana@acme.example: editor again (not confirmed before)",
    )  # fmt: skip


@pytest.mark.parametrize("elsewhere", ["admin of another team", "admin being removed"])
def test_only_a_staying_admin_of_the_same_team_lets_the_last_one_step_down(
    acme, make_customer, make_member, simulator, elsewhere
):
    from tenants.errors import TenantError

    if elsewhere == "admin of another team":
        make_member(make_customer(name="Other"), "cy@other.example", "admin")
    else:
        make_member(acme, "dee@acme.example", "admin", is_active=True)
        Membership.objects.filter(user__email="dee@acme.example").update(
            sync_state=SyncState.REMOVING
        )
    ana = acme.memberships.get(user__email="ana@acme.example")
    with pytest.raises(TenantError, match="the team's only admin"):
        membership_role_set(membership=ana, role="viewer", actor="ana", keep_an_admin=True)
    assert Membership.objects.get(pk=ana.pk).role == "admin"


def test_a_sync_asked_for_is_audited_with_what_it_did_or_that_nothing_was_needed(
    acme, make_member, simulator
):
    members_sync(customer=acme, actor="staff-ana")
    make_member(acme, "bo@acme.example", "editor")
    make_member(acme, "cy@acme.example", "viewer")
    members_sync(customer=acme, actor="staff-ana")
    first, second = StaffAction.objects.filter(action="sync_members").order_by("pk")
    assert (first.customer, first.succeeded, first.detail) == (acme, True, "already in step")
    assert second.customer == acme and second.actor_label == "staff-ana"
    assert second.detail == "add bo@acme.example as editor; add cy@acme.example as viewer"


def test_an_outage_stops_the_sync_and_says_why_on_the_member(acme, make_member, simulator):
    from spaceinvoices.client import Unavailable

    bo = make_member(acme, "bo@acme.example", "viewer")
    simulator.fault(path_prefix="/entities/users", method="POST", status=503, count=9)
    report = members_sync(customer=acme, actor="t")
    assert isinstance(report.stopped_by, Unavailable)
    assert report.errors == [f"Space Invoices unavailable, sync stopped: {report.stopped_by}"]
    bo.refresh_from_db()
    assert bo.last_error == str(report.stopped_by) and bo.sync_state == "pending"


def test_a_refused_member_keeps_the_reason(acme, make_member, simulator):
    bo = make_member(acme, "bo@acme.example", "viewer")
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=1,
                    body={"code": "validation_error", "message": "email refused"})  # fmt: skip
    report = members_sync(customer=acme, actor="t")
    bo.refresh_from_db()
    assert bo.sync_state == "failed" and "email refused" in bo.last_error
    assert report.errors == [f"bo@acme.example: {bo.last_error}"]


def test_a_stranger_that_cannot_be_removed_is_reported_by_email(acme, simulator, account_key):
    user_invited_upstream(simulator, account_key, acme.entity_id, "stranger@x.example")
    simulator.fault(path_prefix="/entities/users/", method="DELETE", status=403, count=1)
    report = members_sync(customer=acme, actor="t")
    assert len(report.errors) == 1
    assert report.errors[0].startswith("stranger@x.example: [403")


def test_unreadable_invitations_settle_only_the_removals(make_customer, make_member, simulator):
    from tenants.models import Customer

    customer = customer_provision(customer=make_customer(access_mode="api_key"), actor="t")
    Customer.objects.filter(pk=customer.pk).update(access_mode="user")  # no users upstream yet
    bo = make_member(customer, "bo@acme.example", "viewer")
    gone = make_member(customer, "gone@acme.example", "viewer", is_active=True)
    Membership.objects.filter(pk=gone.pk).update(sync_state=SyncState.REMOVING)
    # The adds may have made invitations: read again after them, and that read fails.
    simulator.fault(path_prefix="/entities/invitations", method="GET", status=500, count=30)
    report = members_sync(customer=customer, actor="t")
    assert report.errors == [
        "could not read the pending invitations: [500 injected_fault] Internal Server Error"
    ]
    assert not Membership.objects.filter(pk=gone.pk).exists()  # its removal is settled
    bo.refresh_from_db()
    assert bo.sync_state == "pending"  # added upstream; invited or not is not known yet


def test_no_invitation_is_read_when_the_entity_has_no_users(make_customer, simulator):
    customer = customer_provision(customer=make_customer(access_mode="api_key"), actor="t")
    before = simulator.stats()["requests"].get("GET /entities/invitations", 0)
    assert members_sync(customer=customer, actor="t").ok
    assert simulator.stats()["requests"].get("GET /entities/invitations", 0) == before


def test_a_sync_from_a_launch_waits_only_as_long_as_it_is_told(acme, settings):
    from datetime import timedelta

    import psycopg
    from django.db import connection
    from django.utils import timezone

    from tenants.locking import LOCK_NAMESPACE, CustomerBusy
    from tenants.models import CustomerLease

    settings.PORTAL_LOCK_WAIT = 30  # the default wait: far longer than asked below
    if connection.vendor == "postgresql":
        # Another session holds the advisory lock, as another process's run would.
        other = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, acme.pk])
    else:
        other = None
        CustomerLease.objects.create(
            customer=acme,
            holder="elsewhere:1:abc",
            expires_at=timezone.now() + timedelta(minutes=5),
        )
    started = time.monotonic()
    try:
        with pytest.raises(CustomerBusy):
            members_sync(customer=acme, lock_wait=0.2)
    finally:
        if other:
            other.close()
    assert time.monotonic() - started < 5


def test_a_sync_that_failed_is_audited_as_failed(acme, make_member, simulator):
    make_member(acme, "bo@acme.example", "viewer")
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=1)
    members_sync(customer=acme, actor="staff-ana")
    assert StaffAction.objects.get(action="sync_members").succeeded is False


def test_a_sync_stopped_before_any_change_is_audited_too(client, staff, acme, simulator):
    """Space Invoices down from the first read: the staff member's button says so, and the
    audit has their failed attempt (it had no row at all)."""
    from django.urls import reverse

    adds = simulator.requests_to("POST /entities/users")  # provisioning's
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=9)
    client.force_login(staff)
    page = client.post(
        reverse("admin:tenants_customer_changelist"),
        {"action": "sync_members", "_selected_action": [acme.pk], "confirmed": "yes"},
        follow=True,
    ).content.decode()
    assert "503" in page and "done for" not in page
    audit = StaffAction.objects.get(action="sync_members")
    assert (audit.succeeded, audit.actor, audit.customer) == (False, staff, acme)
    assert audit.detail.startswith("nothing changed: could not read the entity's users")
    assert simulator.requests_to("POST /entities/users") == adds


def test_a_customer_without_an_entity_is_refused_saying_so(make_customer):
    from tenants.errors import NotProvisioned

    with pytest.raises(NotProvisioned, match=r"^Fresh has no entity yet; provision it first\.$"):
        members_sync(customer=make_customer(name="Fresh"))


def test_a_role_change_goes_out_under_its_recorded_request_id(acme, simulator):
    ana = acme.memberships.get()
    ana.role = "editor"
    ana.save()
    members_sync(customer=acme)
    [sent] = simulator.request_ids("PATCH /entities/users/{id}")
    assert sent.startswith(f"portal:{acme.uuid}:member.role:{ana.uuid}:")
