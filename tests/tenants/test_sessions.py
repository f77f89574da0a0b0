"""Sessions stored with their user's id: on a launch the session, the user and the membership
come back in one round trip, and Django still decides who is signed in."""

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tenants.authentication import membership_of, user_get_with_membership
from tenants.models import Membership, SyncState, User, UserSession
from tenants.sessions import SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, make_customer, make_member):
    membership = make_member(make_customer(slug="acme"), "bo@acme.example", "editor")
    client.force_login(membership.user)
    return membership


def _key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _launch_request(client, slug: str):
    """A request with the client's session cookie, its session not read yet, marked as a
    launch for ``slug`` (as embedding.launch_user marks it)."""
    request = RequestFactory().post("/")
    request.session = SessionStore(_key(client))
    request.session.membership_wanted = slug
    return request


def test_the_portal_uses_its_own_store():
    assert import_module(settings.SESSION_ENGINE).SessionStore is SessionStore


def test_a_signed_in_sessions_row_carries_its_users_id_and_a_visitors_none(client):
    user = User.objects.create_user(email="ana@acme.example", password="correct-horse-9")
    client.post(reverse("login"), {"username": user.email, "password": "correct-horse-9"})
    assert UserSession.objects.get(pk=_key(client)).user_id == user.pk
    visitor = SessionStore()
    visitor["seen"] = True
    visitor.save()
    assert UserSession.objects.get(pk=visitor.session_key).user_id is None


def test_on_a_launch_the_session_the_user_and_the_membership_come_back_together(client, member):
    request = _launch_request(client, "acme")
    with CaptureQueriesContext(connection) as queries:
        user = user_get_with_membership(request, slug="acme")
        found = membership_of(user=user, slug="acme")
    assert user.pk == member.user_id and found.pk == member.pk and found.customer.slug == "acme"
    # One statement, on every database.
    assert len(queries) == 1


def test_with_the_session_a_membership_elsewhere_or_being_removed_is_none(
    client, member, make_customer, make_member
):
    make_member(make_customer(slug="globex"), "cy@globex.example", "admin")  # not bo's
    user = user_get_with_membership(_launch_request(client, "globex"), slug="globex")
    assert user.pk == member.user_id
    with CaptureQueriesContext(connection) as queries:
        assert membership_of(user=user, slug="globex") is None
    assert len(queries) == 0  # the answer came with the session: none
    Membership.objects.filter(pk=member.pk).update(sync_state=SyncState.REMOVING)
    user = user_get_with_membership(_launch_request(client, "acme"), slug="acme")
    assert user.pk == member.user_id and membership_of(user=user, slug="acme") is None
    Membership.objects.filter(pk=member.pk).update(sync_state=SyncState.SYNCED)
    user = user_get_with_membership(_launch_request(client, "acme"), slug="acme")
    assert membership_of(user=user, slug="acme").role == "editor"


def test_a_visitors_session_is_read_with_no_user_and_no_membership(member):
    visitor = SessionStore()
    visitor["seen"] = True
    visitor.save()
    reading = SessionStore(visitor.session_key)
    reading.membership_wanted = "acme"
    assert reading["seen"] is True and reading.session_key == visitor.session_key
    assert reading.read_with_user == [None, None]


def test_the_user_id_column_never_says_who_is_signed_in(client, member, make_member):
    other = make_member(member.customer, "cy@acme.example", "admin")
    UserSession.objects.filter(pk=_key(client)).update(user=other.user)  # disagrees with the data
    user = user_get_with_membership(_launch_request(client, "acme"), slug="acme")
    assert user.pk == member.user_id  # the session's own data, its user read again
    assert membership_of(user=user, slug="acme").pk == member.pk


def test_read_with_the_session_django_still_checks_it(client, member):
    User.objects.filter(pk=member.user_id).update(is_active=False)
    assert user_get_with_membership(_launch_request(client, "acme"), slug="acme").is_anonymous
    User.objects.filter(pk=member.user_id).update(is_active=True, password="changed")
    assert user_get_with_membership(_launch_request(client, "acme"), slug="acme").is_anonymous


def test_an_expired_session_is_none(client, member):
    gone = timezone.now() - dt.timedelta(seconds=1)
    UserSession.objects.filter(pk=_key(client)).update(expire_date=gone)
    request = _launch_request(client, "acme")
    assert user_get_with_membership(request, slug="acme").is_anonymous
    assert request.session.session_key is None  # a new one would be made, as Django's store does


def test_signing_out_deletes_the_row_and_so_does_deleting_the_user(client, member):
    signed_out = _key(client)
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(pk=signed_out).exists()
    leaving = User.objects.create_user(email="leaving@acme.example")  # no membership holds them
    client.force_login(leaving)
    assert UserSession.objects.filter(pk=_key(client), user=leaving).exists()
    leaving.delete()
    assert not UserSession.objects.filter(pk=_key(client)).exists()


def test_sessions_under_djangos_store_stay_signed_in_after_the_switch(member):
    user = member.user
    old = DjangoSessionStore()
    old.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "tenants.authentication.UserBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )
    old.save()
    import_module("tenants.migrations.0019_user_session").sessions_kept(apps, None)
    row = UserSession.objects.get(pk=old.session_key)
    assert row.user_id == user.pk
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = old.session_key
    # Signed in: taken to their company's page, not to the login page.
    assert browser.get(reverse("home"))["Location"] == reverse("customer", args=["acme"])


def test_a_membership_read_for_another_customer_is_never_taken(client, member, make_customer):
    make_customer(slug="globex")  # bo is no member there
    request = _launch_request(client, "acme")  # the session read with acme's membership
    user = user_get_with_membership(request, slug="globex")
    assert user.pk == member.user_id
    assert membership_of(user=user, slug="globex") is None
    assert membership_of(user=user, slug="acme").pk == member.pk


def test_a_session_cookie_that_no_store_could_have_made_is_no_session(client, member):
    for forged in ("\x00abcdefghij", "abc def ghij", "abcdefgh;ijk"):
        client.cookies[settings.SESSION_COOKIE_NAME] = forged
        page = client.get(reverse("login"))
        assert page.status_code == 200  # the sign-in page, for a visitor
        assert page.wsgi_request.user.is_anonymous


@pytest.mark.django_db(transaction=True)
def test_deactivating_a_user_ends_their_sessions_for_good(login_as, acme, simulator):
    """Reactivated, a deactivated user signs in again: the browser they had left signed in
    does not launch."""
    from tenants.services import user_active_set

    client = login_as("bo@acme.example")
    launch = reverse("open_invoicing", args=["acme"])
    assert client.post(launch).status_code == 303
    bo = User.objects.get(email="bo@acme.example")
    other = Client()
    other.force_login(User.objects.get(email="ana@acme.example"))
    user_active_set(user=bo, active=False, actor="t")
    user_active_set(user=bo, active=True, actor="t")
    answer = client.post(launch)
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    assert not UserSession.objects.filter(user=bo).exists()
    assert other.post(launch).status_code == 303  # another user's session is untouched


@pytest.mark.django_db(transaction=True)
def test_a_login_racing_the_deactivation_does_not_count_once_reactivated(client, acme, simulator):
    """Its password checked before the deactivation, its session written after the rows
    were deleted: the session's hash is the old one, and no longer matches."""
    from tenants.services import user_active_set

    checked = User.objects.get(email="bo@acme.example")  # as authenticate() left it
    user_active_set(user=User.objects.get(pk=checked.pk), active=False, actor="t")
    client.force_login(checked)  # the racing login stores its session now
    user_active_set(user=User.objects.get(pk=checked.pk), active=True, actor="t")
    answer = client.post(reverse("open_invoicing", args=["acme"]))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    client.force_login(User.objects.get(pk=checked.pk))  # signing in anew works
    assert client.post(reverse("open_invoicing", args=["acme"])).status_code == 303


def test_until_sessions_are_first_ended_the_hash_is_djangos_own(db):
    """So that the sessions signed in before the field existed stay signed in."""
    from django.contrib.auth.base_user import AbstractBaseUser

    user = User.objects.create_user(email="h@x.example", password="pw-h-12345")
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
    User.objects.filter(pk=user.pk).update(sessions_ended=1)
    user.refresh_from_db()
    assert user.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(user)


@pytest.mark.django_db(transaction=True)
def test_a_password_change_racing_a_deactivation_does_not_undo_it(client, acme, simulator):
    """The password change saves the user it read before the deactivation: the user stays
    deactivated, and the session it hands back does not count once they are reactivated."""
    from django.contrib.auth import update_session_auth_hash

    from tenants.services import user_active_set

    read = User.objects.get(email="bo@acme.example")  # as the password change read it
    client.force_login(read)
    request = RequestFactory().post("/")
    request.session, request.user = SessionStore(_key(client)), read
    assert request.session[SESSION_KEY] == str(read.pk)  # the request's session, read
    user_active_set(user=User.objects.get(pk=read.pk), active=False, actor="t")
    read.set_password("a-new-pw-12345")
    read.save()  # Django's PasswordChangeForm.save()
    update_session_auth_hash(request, read)  # the view's new session, from the stale user
    request.session.save()  # as the session middleware does with the response
    assert UserSession.objects.filter(user=read).exists()  # written after the deactivation
    stored = User.objects.get(pk=read.pk)
    assert not stored.is_active and stored.sessions_ended == 1
    assert stored.check_password("a-new-pw-12345")  # the change itself went through
    user_active_set(user=stored, active=True, actor="t")
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    answer = client.post(reverse("open_invoicing", args=["acme"]))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
