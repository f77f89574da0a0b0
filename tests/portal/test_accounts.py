"""Log in by email, lockout of (account, IP), set/reset password by email, branding."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tenants.models import User

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")


@pytest.fixture
def ana(db):
    return User.objects.create_user(email="ana@acme.example", password="correct-horse-9")


def test_login_by_email_and_safe_next(client, ana):
    response = client.post(
        LOGIN,
        {
            "username": "ANA@acme.example",
            "password": "correct-horse-9",
            "next": "https://evil.example/steal",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_wrong_password_says_so(client, ana):
    response = client.post(LOGIN, {"username": "ana@acme.example", "password": "nope"})
    text = response.content.decode()
    assert response.status_code == 200 and "That email and password do not match" in text
    assert "case-sensitive" in text and "email may be" not in text


def test_lockout_is_per_account_and_ip(client, ana, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            LOGIN, {"username": "ana@acme.example", "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        )
    locked = client.post(
        LOGIN,
        {"username": "ana@acme.example", "password": "correct-horse-9"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert locked.status_code == 429 and b"Too many failed attempts" in locked.content
    # The same account from another address still logs in...
    other_ip = client.post(
        LOGIN,
        {"username": "ana@acme.example", "password": "correct-horse-9"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert other_ip.status_code == 302
    client.logout()
    # ...and another account behind the attacker's address too (a shared proxy).
    User.objects.create_user(email="bo@acme.example", password="battery-staple-7")
    same_ip = client.post(
        LOGIN,
        {"username": "bo@acme.example", "password": "battery-staple-7"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert same_ip.status_code == 302


def test_set_password_by_email(client, ana, settings):
    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    # A forged Host header changes nothing: links come from PORTAL_BASE_URL only.
    client.post(reverse("password_reset"), {"email": "ana@acme.example"}, HTTP_HOST="localhost")
    [message] = mail.outbox
    assert message.subject == "Ledger & Co: choose your password"
    link = re.search(r"https?://\S+/accounts/reset/\S+", message.body).group(0)
    assert link.startswith("https://portal.example.com/accounts/reset/")
    path = link.removeprefix("https://portal.example.com")
    form = client.get(path, follow=True)
    assert b"Choose a password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-secret-42", "new_password2": "a-new-secret-42"},
    )
    assert done.status_code == 302
    ana.refresh_from_db()
    assert ana.check_password("a-new-secret-42")


def test_brand_shapes_pages_and_the_admin(client, settings):
    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    settings.PORTAL_SUPPORT_EMAIL = "help@ledger.example"
    page = client.get(LOGIN).content.decode()
    assert "Log in to Ledger &amp; Co" in page and "help@ledger.example" in page
    assert 'href="/brand.css"' in page and "style=" not in page
    settings.PORTAL_BRAND_COLOR = "#aa0033"
    css = client.get("/brand.css")
    assert css["Content-Type"].startswith("text/css") and b"--brand: #aa0033" in css.content
    admin_login = client.get("/admin/login/").content.decode()
    assert "Ledger &amp; Co" in admin_login and "/brand.css" in admin_login


def test_unknown_page_is_branded(client, settings):
    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    response = client.get("/nowhere/")
    assert response.status_code == 404 and b"Ledger &amp; Co" in response.content


def test_password_change_page_is_branded(client, ana, settings):
    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    client.force_login(ana)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and b"Change your password" in page.content
    assert b"Ledger &amp; Co" in page.content


def test_server_error_page_is_branded_without_a_traceback(rf, settings):
    from portal.errors import server_error

    settings.PORTAL_BRAND_NAME = "Ledger & Co"
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Ledger &amp; Co" in response.content and b"Traceback" not in response.content
