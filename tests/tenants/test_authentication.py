"""Sign-in through UserBackend: the same rules as Django's, one password check per attempt,
and sessions signed in before it existed stay signed in."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher
from django.urls import reverse

from tenants.models import User

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
