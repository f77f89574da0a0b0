"""Sessions end after an idle spell and after an absolute lifetime, shorter for staff; the
idle clock is written at most once a minute."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.session_limits import SEEN, STARTED
from tenants.models import User

pytestmark = pytest.mark.django_db


def signed_in(email: str, **fields) -> Client:
    client = Client()
    User.objects.create_user(email=email, password="pw-12345678", **fields)
    response = client.post(reverse("login"), {"username": email, "password": "pw-12345678"})
    assert response.status_code == 302
    return client


def clocks_set(client: Client, *, started_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[STARTED], session[SEEN] = now - started_ago, now - seen_ago
    session.save()


def session_row(client: Client) -> str:
    # The configured store's row (the portal's own, or Django's).
    model = import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()
    return model.objects.get(pk=client.cookies["sessionid"].value).session_data


def test_sign_in_starts_both_clocks():
    client = signed_in("ana@acme.example")
    session = client.session
    assert abs(session[STARTED] - time.time()) < 5 and session[SEEN] == session[STARTED]


@pytest.mark.parametrize(
    ("staff", "started_ago", "seen_ago", "signed_out"),
    [
        (False, 60, 29 * 60, False),  # customers: 30 minutes idle
        (False, 60, 31 * 60, True),
        (False, 11 * 3600, 60, False),  # and 12 hours in all
        (False, 12 * 3600 + 60, 60, True),
        (True, 60, 16 * 60, True),  # staff: 15 minutes idle
        (True, 8 * 3600 + 60, 60, True),  # and 8 hours in all
        (True, 7 * 3600, 60, False),
    ],
)
def test_idle_and_absolute_limits(staff, started_ago, seen_ago, signed_out):
    client = signed_in("ana@acme.example", is_staff=staff)
    clocks_set(client, started_ago=started_ago, seen_ago=seen_ago)
    page = client.get(reverse("password_change"), follow=True)
    if signed_out:
        assert page.redirect_chain[0][0].startswith(reverse("login"))
        assert b"You were signed out after a while" in page.content
        assert "_auth_user_id" not in client.session
    else:
        assert page.redirect_chain == [] and b"Change your password" in page.content


def test_limits_come_from_settings(settings):
    settings.PORTAL_SESSION_IDLE_MINUTES = 5
    client = signed_in("ana@acme.example")
    clocks_set(client, started_ago=600, seen_ago=6 * 60)
    assert client.get(reverse("password_change")).status_code == 302


def test_the_idle_clock_is_written_at_most_once_a_minute():
    client = signed_in("ana@acme.example")
    clocks_set(client, started_ago=100, seen_ago=10)
    before = session_row(client)
    assert client.get(reverse("password_change")).status_code == 200
    assert session_row(client) == before  # no session write within the minute
    clocks_set(client, started_ago=100, seen_ago=70)
    client.get(reverse("password_change"))
    assert abs(client.session[SEEN] - time.time()) < 5  # refreshed
