"""Sign-in through UserBackend: the same rules as Django's, one password check per attempt,
and sessions signed in before it existed stay signed in."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenants.authentication import membership_of, user_get_with_membership
from tenants.models import Membership, SyncState, User

pytestmark = pytest.mark.django_db
CHECKS = []


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"

    def verify(self, password, encoded):
        CHECKS.append(password)
        return super().verify(password, encoded)


@pytest.fixture
def ana(settings):
    settings.PASSWORD_HASHERS = ["tests.tenants.test_authentication.CountingHasher"]
    CHECKS.clear()
    return User.objects.create_user(email="ana@acme.example", password="correct-horse-9")


def _signed_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def test_a_sign_in_is_kept_by_user_backend(client, ana):
    answer = client.post(reverse("login"), {"username": ana.email, "password": "correct-horse-9"})
    assert answer.status_code == 302 and _signed_in(client)
    assert client.session[BACKEND_SESSION_KEY] == "tenants.authentication.UserBackend"


def test_a_wrong_password_is_checked_once_and_counted_once(client, ana, settings):
    from axes.models import AccessAttempt

    answer = client.post(reverse("login"), {"username": ana.email, "password": "wrong"})
    assert b"That email and password do not match" in answer.content
    assert CHECKS == ["wrong"]  # ModelBackend, listed after, was not asked again
    assert AccessAttempt.objects.get().failures_since_start == 1
    assert not _signed_in(client)


def test_a_session_from_before_stays_signed_in(client, ana):
    client.force_login(ana, backend="django.contrib.auth.backends.ModelBackend")
    assert _signed_in(client)


def test_a_deactivated_user_is_signed_out(client, ana):
    client.force_login(ana)
    assert client.session[BACKEND_SESSION_KEY] == "tenants.authentication.UserBackend"
    User.objects.filter(pk=ana.pk).update(is_active=False)
    assert not _signed_in(client)


def test_a_changed_password_ends_other_sessions(client, ana):
    client.force_login(ana)
    ana.set_password("a-new-secret-42")
    ana.save()
    assert not _signed_in(client)


@pytest.fixture
def member(client, make_customer, make_member):
    make_customer(slug="globex")
    membership = make_member(make_customer(slug="acme"), "bo@acme.example", "editor")
    client.force_login(membership.user)
    return membership


def _request(client):
    """A request carrying the client's session, as the session middleware leaves it."""
    request = RequestFactory().post("/")
    request.session = client.session
    assert request.session.get("_auth_user_id")  # loaded now: only the user's queries count
    return request


def test_the_user_comes_with_their_membership_of_the_customer_asked_for(client, member):
    request = _request(client)
    with CaptureQueriesContext(connection) as queries:
        user = user_get_with_membership(request, slug="acme")
        found = membership_of(user=user, slug="acme")
    assert user.pk == member.user_id and found.pk == member.pk and found.customer.slug == "acme"
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    # Another customer's is never taken from it: it is read, and it is none.
    with CaptureQueriesContext(connection) as queries:
        assert membership_of(user=user, slug="globex") is None
    assert len(queries) == 1


def test_a_membership_being_removed_or_none_read_with_the_user_is_none(client, member):
    assert (
        membership_of(user=user_get_with_membership(_request(client), slug="globex"), slug="globex")
        is None
    )
    Membership.objects.filter(pk=member.pk).update(sync_state=SyncState.REMOVING)
    user = user_get_with_membership(_request(client), slug="acme")
    with CaptureQueriesContext(connection) as queries:
        assert membership_of(user=user, slug="acme") is None
    assert len(queries) == 0  # the answer read with the user: none


def test_with_the_membership_django_still_checks_the_session(client, member):
    User.objects.filter(pk=member.user_id).update(is_active=False)
    assert user_get_with_membership(_request(client), slug="acme").is_anonymous
    User.objects.filter(pk=member.user_id).update(is_active=True, password="changed")
    assert user_get_with_membership(_request(client), slug="acme").is_anonymous


def test_a_session_from_before_reads_its_membership_on_its_own(client, member):
    client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    user = user_get_with_membership(_request(client), slug="acme")
    with CaptureQueriesContext(connection) as queries:
        assert membership_of(user=user, slug="acme").pk == member.pk
    assert len(queries) == 1
