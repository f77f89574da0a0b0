"""No parameter that takes a destination can send the browser to another site."""

from urllib.parse import urlsplit

import pytest

from tenants.models import User

pytestmark = pytest.mark.django_db
HOSTILE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "http://testserver@evil.example/",
    " https://evil.example",
    "javascript:alert(1)",
]


def same_site(location: str) -> bool:
    parts = urlsplit(location)
    return parts.netloc in ("", "testserver") and parts.scheme in ("", "http")


@pytest.mark.parametrize("target", HOSTILE)
def test_login_next(client, target):
    User.objects.create_user(email="ana@x.example", password="pw-member-123")
    response = client.post(
        f"/accounts/login/?next={target}",
        {"username": "ana@x.example", "password": "pw-member-123", "next": target},
    )
    assert response.status_code == 302 and same_site(response["Location"])


@pytest.mark.parametrize("target", HOSTILE)
def test_logout_next(client, target):
    user = User.objects.create_user(email="ana@x.example", password="pw-member-123")
    client.force_login(user)
    response = client.post("/accounts/logout/", {"next": target})
    assert response.status_code == 302 and same_site(response["Location"])


def test_launch_goes_only_to_the_configured_embed(acme, login_as, simulator, settings):
    client = login_as("bo@acme.example")
    response = client.post(
        "/customers/acme/open-invoicing/?next=https://evil.example/",
        {
            "next": "https://evil.example/",
            "url": "https://evil.example/",
            "redirect": "https://evil.example/",
        },
    )
    assert response.status_code == 303
    assert response["Location"].startswith(settings.SPACEINVOICES_EMBED_URL + "?token=")


def test_anonymous_launch_login_redirect_is_local(acme, client):
    response = client.post("/customers/acme/open-invoicing/")
    assert same_site(response["Location"])
