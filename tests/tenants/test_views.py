"""End-customer pages: home, the customer page, and team management by the customer's admins."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tenants.errors import TenantError
from tenants.models import Membership, StaffAction, User
from tenants.services import members_sync, membership_remove, membership_role_set
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db


def test_home_lists_each_customer_with_role_and_a_button_that_knows_the_rules(
    login_as, client, acme, make_customer, make_member
):
    other = make_customer(name="Other Co", slug="other")
    make_member(other, "ana@acme.example", "editor")
    page = login_as("ana@acme.example").get(reverse("home")).content.decode()
    assert "Acme d.o.o." in page and "Other Co" in page
    assert "<strong>Admin</strong>" in page and "<strong>Editor</strong>" in page
    # Other Co is not set up yet: its button is off and says why (the launch's own rules).
    assert page.count('method="post" action="/customers/') == 1
    assert "Invoicing for Other Co is still being set up. Please try again later." in page


def test_a_user_of_one_customer_sees_it_directly(login_as, client, acme):
    response = login_as("bo@acme.example").get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == "/customers/acme/"
    page = client.get("/customers/acme/").content.decode()
    assert "Open invoicing" in page and "Your team" not in page  # a viewer manages nothing


def test_a_key_mode_page_says_whose_rights_invoicing_opens_with(login_as, acme, globex):
    """Key mode opens invoicing with the company's key, an administrator's rights there:
    an editor is told so, not that they are signed in as themselves."""
    key_mode = login_as("cy@globex.example").get("/customers/globex/").content.decode()
    assert "there you have an administrator's rights, whatever your role here" in key_mode
    assert "signed in as you" not in key_mode
    user_mode = login_as("bo@acme.example").get("/customers/acme/").content.decode()
    assert "signed in as you." in " ".join(user_mode.split())
    assert "administrator's rights" not in user_mode


def test_anonymous_home_goes_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_stranger_gets_404(login_as, client, acme, make_customer, make_member):
    make_member(make_customer(slug="else"), "eve@else.example", "admin")
    assert login_as("eve@else.example").get("/customers/acme/").status_code == 404


def test_admin_adds_changes_and_removes_colleagues_upstream(
    login_as, client, acme, simulator, account_key
):
    login_as("ana@acme.example")
    page = client.post(
        "/customers/acme/team/add/", {"email": "cy@acme.example", "role": "editor"}, follow=True
    )
    assert b"cy@acme.example was added as editor" in page.content
    assert upstream_users(simulator, account_key, acme.entity_id)["cy@acme.example"] == "editor"
    bo = Membership.objects.get(user__email="bo@acme.example")
    client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "admin"})
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "admin"
    client.post(f"/customers/acme/team/{bo.pk}/remove/")
    assert "bo@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)
    actor_labels = set(StaffAction.objects.values_list("actor_label", flat=True))
    assert "ana@acme.example" in actor_labels


@pytest.mark.parametrize(
    ("email", "says"),
    [
        ("nope", "Enter a valid email address."),
        ("a" * 250 + "@acme.example", "at most 254 characters"),
        ("eve@acme.example\nBcc: x@evil.example", "Enter a valid email address."),
        ("bo@acme.example", "bo@acme.example is already a member of"),
    ],
)
def test_bad_input_is_a_message_on_the_field(login_as, client, acme, simulator, email, says):
    login_as("ana@acme.example")
    users_before = User.objects.count()
    page = client.post("/customers/acme/team/add/", {"email": email, "role": "viewer"})
    assert page.status_code == 400
    errors = page.content.decode().split('id="add-email-errors"', 1)[1].split("</div>", 1)[0]
    assert says in errors.replace("&#x27;", "'")
    assert User.objects.count() == users_before
    assert simulator.requests_to("POST /entities/users") == 2  # provisioning's two only


def test_an_add_during_an_outage_says_it_is_pending_not_done(
    login_as, client, acme, simulator, account_key
):
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=9)
    login_as("ana@acme.example")
    page = client.post(
        "/customers/acme/team/add/", {"email": "zed@acme.example", "role": "viewer"}, follow=True
    )
    text = page.content.decode()
    assert page.status_code == 200 and "was added" not in text
    assert (
        "zed@acme.example is saved here as viewer; invoicing has not confirmed the addition yet."
        in text
    )
    assert "It will be applied at the next sync." in text
    assert "Saved here, not yet confirmed by invoicing" in text  # the team table says so too
    audit = StaffAction.objects.get(action="add_member")
    assert not audit.succeeded and "not confirmed by Space Invoices" in audit.detail
    simulator.clear_faults()
    assert "zed@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)


def test_a_demotion_during_an_outage_says_the_old_rights_remain(
    login_as, client, acme, simulator, account_key
):
    ana = Membership.objects.get(user__email="ana@acme.example")
    bo = Membership.objects.get(user__email="bo@acme.example")
    login_as("ana@acme.example")
    client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "editor"})
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "editor"
    simulator.fault(path_prefix="/entities/users", status=503, count=30)
    page = client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "viewer"}, follow=True)
    text = page.content.decode()
    assert "is now viewer" not in text
    assert (
        "invoicing has not confirmed the change: until it does, they may still be editor there"
        in text
    )
    assert "until the next sync they may still be editor there" in text  # the team table
    assert "In step" not in text and "Active" in text  # ana herself is in step
    bo.refresh_from_db()
    assert (bo.role, bo.applied_role, bo.is_applied) == ("viewer", "editor", False)
    audit = StaffAction.objects.filter(action="change_role").first()
    assert audit.detail.startswith("bo@acme.example: editor → viewer") and not audit.succeeded
    simulator.clear_faults()
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "editor"
    # The next sync applies it, and the page then says so.
    members_sync(customer=acme, actor="test")
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "viewer"
    text = client.get("/customers/acme/").content.decode()
    assert "not yet confirmed" not in text and ana.user.email in text


def test_a_change_whose_answer_was_lost_is_not_called_unapplied(
    login_as, client, acme, simulator, account_key
):
    """Space Invoices applied the promotion but its answer never came: the page may not
    tell the team's admin, as a fact, that the member lacks the rights they now have."""
    bo = Membership.objects.get(user__email="bo@acme.example")
    login_as("ana@acme.example")
    simulator.fault(path_prefix="/entities/users/", method="PATCH", drop="after", count=10)
    page = client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "admin"}, follow=True)
    text = page.content.decode()
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "admin"
    assert "is now admin" not in text
    assert "bo@acme.example is saved here as admin; invoicing has not confirmed the change" in text
    assert "Saved here, not yet confirmed by invoicing" in text  # the team table
    assert "not yet changed" not in text and "still viewer there" not in text


def test_a_demotion_after_a_promotion_whose_answer_was_lost_warns_of_the_higher_rights(
    login_as, client, acme, simulator, account_key
):
    """The promotion was applied and its answer lost; the demotion then met an outage. The
    member may still be admin there: the page must say so, not just "not confirmed"."""
    bo = Membership.objects.get(user__email="bo@acme.example")
    login_as("ana@acme.example")
    simulator.fault(path_prefix="/entities/users/", method="PATCH", drop="after", count=100)
    client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "admin"})
    simulator.clear_faults()
    simulator.fault(path_prefix="/entities/users", status=503, count=100)
    page = client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "viewer"}, follow=True)
    text = page.content.decode()
    simulator.clear_faults()
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "admin"
    assert "until it does, they may still be admin there, with its rights" in text
    assert "until the next sync they may still be admin there" in text  # the team table
    members_sync(customer=acme, actor="test")  # once confirmed, the warning goes
    bo.refresh_from_db()
    assert (bo.role, bo.applied_role, bo.is_applied) == ("viewer", "viewer", True)


def test_a_removal_during_an_outage_says_access_remains(
    login_as, client, acme, simulator, account_key
):
    bo = Membership.objects.get(user__email="bo@acme.example")
    login_as("ana@acme.example")
    confirm = client.get(f"/customers/acme/team/{bo.pk}/remove/")
    assert b"Remove bo@acme.example?" in confirm.content  # a GET only asks
    assert Membership.objects.filter(pk=bo.pk).exists()
    simulator.fault(path_prefix="/entities/users", status=503, count=30)
    page = client.post(f"/customers/acme/team/{bo.pk}/remove/", follow=True)
    text = page.content.decode()
    assert "was removed" not in text
    assert "bo@acme.example no longer has access here." in text
    assert "until it does, they may still be able to sign in there directly" in text
    assert "Removed here; invoicing has not confirmed the removal" in text
    # Here they are out at once: no page, no launch, whatever Space Invoices still holds.
    bo_client = Client()
    bo_client.force_login(bo.user)
    assert bo_client.get("/customers/acme/").status_code == 404
    assert bo_client.post(reverse("open_invoicing", args=["acme"])).status_code == 404
    tokens = simulator.stats()["tokens_minted"]
    assert tokens == 0
    simulator.clear_faults()
    assert "bo@acme.example" in upstream_users(simulator, account_key, acme.entity_id)


def test_viewer_cannot_manage_and_admin_cannot_change_themselves(login_as, client, acme):
    bo = Membership.objects.get(user__email="bo@acme.example")
    ana = Membership.objects.get(user__email="ana@acme.example")
    login_as("bo@acme.example")
    response = client.post("/customers/acme/team/add/", {"email": "x@y.example", "role": "admin"})
    assert response.status_code == 403 and b"Only an admin" in response.content
    login_as("ana@acme.example")
    assert client.post(f"/customers/acme/team/{ana.pk}/remove/").status_code == 403
    assert client.post(f"/customers/acme/team/{bo.pk}/remove/", {}).status_code == 302
    assert not Membership.objects.filter(pk=bo.pk).exists()


def test_a_member_being_removed_cannot_be_given_a_role_back(login_as, client, acme, simulator):
    bo = Membership.objects.get(user__email="bo@acme.example")
    simulator.fault(path_prefix="/entities/users", status=503, count=30)
    login_as("ana@acme.example")
    client.post(f"/customers/acme/team/{bo.pk}/remove/")
    page = client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "viewer"}, follow=True)
    assert "bo@acme.example is being removed from this team." in page.content.decode()
    assert Membership.objects.get(pk=bo.pk).sync_state == "removing"
    assert f'id="role-{bo.pk}"' not in page.content.decode()  # no role form on that row


@pytest.mark.parametrize(
    ("email", "says"),
    [
        ("staff@partner.example", "This address belongs to our own staff"),
        ("a@acme.example\u200b", "an invisible or a control character"),
        ("\u017ftaff@partner.example", "a look-alike of a plain letter"),  # long s
        ("bo@\u212aacme.example", "a look-alike of a plain letter"),  # Kelvin sign
        ("\uff41na@acme.example", "a look-alike of a plain letter"),  # full-width a
        ("adm\u0131n@acme.example", "a look-alike of a plain letter"),  # dotless i
        ("adm\u0130n@acme.example", "a look-alike of a plain letter"),  # dotted capital I
    ],
)
def test_staff_and_invisible_characters_are_refused_on_the_field(
    login_as, client, acme, simulator, email, says
):
    User.objects.create_user(email="staff@partner.example", is_staff=True)
    users = User.objects.count()
    login_as("ana@acme.example")
    page = client.post("/customers/acme/team/add/", {"email": email, "role": "viewer"})
    assert page.status_code == 400 and says in page.content.decode()
    assert not Membership.objects.filter(user__email__startswith=email[:8]).exists()
    assert User.objects.count() == users  # no look-alike account beside the real one
    assert simulator.requests_to("POST /entities/users") == 2  # provisioning's two only


def test_an_existing_login_added_to_another_company_is_told(
    login_as, client, acme, make_customer, make_member, django_capture_on_commit_callbacks
):
    make_member(make_customer(name="Other Co", slug="other"), "eve@other.example", "viewer")
    login_as("ana@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/customers/acme/team/add/", {"email": "eve@other.example", "role": "viewer"})
    [message] = mail.outbox
    assert message.to == ["eve@other.example"]
    assert message.subject.endswith("you have been added to Acme d.o.o.")
    assert "Sign in as usual to see it" in message.body and "/accounts/reset/" not in message.body


def test_a_change_space_invoices_refuses_says_refused_not_pending(
    login_as, client, acme, simulator
):
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=5)
    login_as("ana@acme.example")
    page = client.post(
        "/customers/acme/team/add/", {"email": "zed@acme.example", "role": "viewer"}, follow=True
    )
    text = page.content.decode()
    assert "Invoicing refused it; we have been told" in text
    assert "It will be applied at the next sync" not in text


def test_two_admins_demoting_each_other_leave_one_admin(login_as, client, acme, simulator):
    """Each page showed the other as an admin; whichever write comes second is refused."""
    bo = Membership.objects.get(user__email="bo@acme.example")
    ana = Membership.objects.get(user__email="ana@acme.example")
    login_as("ana@acme.example")
    client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "admin"})
    as_seen_by_bo = Membership.objects.get(pk=ana.pk)
    membership_role_set(membership=bo, role="viewer", actor="ana", keep_an_admin=True)
    with pytest.raises(TenantError, match="the team's only admin"):
        membership_role_set(membership=as_seen_by_bo, role="viewer", actor="bo",
                            keep_an_admin=True)  # fmt: skip
    with pytest.raises(TenantError, match="the team's only admin"):
        membership_remove(membership=as_seen_by_bo, actor="bo", keep_an_admin=True)
    admins = Membership.objects.filter(customer=acme, role="admin")
    assert list(admins.values_list("user__email", flat=True)) == ["ana@acme.example"]


def test_a_turned_off_company_s_admin_can_remove_but_not_grant(
    login_as, client, acme, simulator, account_key
):
    """The partner turned invoicing off (unpaid, say): its admins take access away only."""
    type(acme).objects.filter(pk=acme.pk).update(is_active=False)
    bo = Membership.objects.get(user__email="bo@acme.example")
    before = upstream_users(simulator, account_key, acme.entity_id)
    users = User.objects.count()
    login_as("ana@acme.example")
    page = client.get("/customers/acme/")
    text = page.content.decode()
    assert "is turned off, so colleagues cannot be added" in text
    assert 'id="add-email-errors"' not in text and "/team/add/" not in text
    assert f'id="role-{bo.pk}"' not in text
    page = client.post(
        "/customers/acme/team/add/", {"email": "cy@acme.example", "role": "admin"}, follow=True
    )
    assert "is turned off, so colleagues cannot be added" in page.content.decode()
    page = client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "admin"}, follow=True)
    assert "cannot be added nor their roles changed" in page.content.decode()
    assert User.objects.count() == users
    assert Membership.objects.get(pk=bo.pk).role == "viewer"
    assert upstream_users(simulator, account_key, acme.entity_id) == before
    assert not StaffAction.objects.filter(action__in=["add_member", "change_role"]).exists()
    client.post(f"/customers/acme/team/{bo.pk}/remove/")
    assert not Membership.objects.filter(pk=bo.pk).exists()
    assert "bo@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)


def test_a_leaving_company_s_admin_is_told_it_has_ended_not_that_it_comes_back(
    login_as, client, acme
):
    from django.utils import timezone

    type(acme).objects.filter(pk=acme.pk).update(offboarding_started_at=timezone.now())
    login_as("ana@acme.example")
    text = client.get("/customers/acme/").content.decode()
    frozen = text.split('id="team-frozen">')[1].split("</p>")[0]
    assert frozen == (
        "Invoicing for Acme d.o.o. has ended, so colleagues cannot be added nor their roles "
        "changed. You can still remove a colleague."
    )


def test_a_colleague_is_added_though_the_mail_server_refuses_their_welcome(
    login_as, client, acme, simulator, account_key, settings, django_capture_on_commit_callbacks
):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    login_as("ana@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/customers/acme/team/add/", {"email": "cy@acme.example", "role": "editor"}
        )
    assert answer.status_code == 302
    page = client.get(answer["Location"])
    assert b"cy@acme.example was added as editor" in page.content
    assert upstream_users(simulator, account_key, acme.entity_id)["cy@acme.example"] == "editor"
