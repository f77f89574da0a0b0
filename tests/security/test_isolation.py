"""A user of one customer tries every URL of another: nothing leaks, nothing is minted."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def other_customer_urls(globex):
    member = globex.memberships.get(user__email="dee@globex.example")
    return [
        ("get", "/customers/globex/", {}),
        ("post", "/customers/globex/open-invoicing/", {}),
        ("post", "/customers/globex/team/add/", {"email": "x@evil.example", "role": "admin"}),
        ("post", f"/customers/globex/team/{member.pk}/role/", {"role": "admin"}),
        ("post", f"/customers/globex/team/{member.pk}/remove/", {}),
        # The other customer's member ids through one's own customer's URLs:
        ("post", f"/customers/acme/team/{member.pk}/role/", {"role": "viewer"}),
        ("post", f"/customers/acme/team/{member.pk}/remove/", {}),
    ]


def test_every_url_of_another_customer_is_404(acme, globex, login_as, simulator, account_key):
    client = login_as("ana@acme.example")  # an admin of Acme, a stranger to Globex
    before = simulator.stats()
    for method, url, data in other_customer_urls(globex):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, url
        assert b"Globex" not in response.content and b"dee@globex" not in response.content
    after = simulator.stats()
    assert after["tokens_minted"] == before["tokens_minted"] == 0
    assert after["users"] == before["users"]
    member = globex.memberships.get(user__email="dee@globex.example")
    assert member.role == "viewer"


def test_anonymous_sees_nothing(acme, simulator):
    client = Client()
    for url in ["/", "/customers/acme/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/customers/acme/open-invoicing/").status_code == 302
    assert simulator.stats()["tokens_minted"] == 0


def test_get_never_mints(acme, globex, login_as, simulator):
    for email, slug in [("bo@acme.example", "acme"), ("dee@globex.example", "globex")]:
        response = login_as(email).get(f"/customers/{slug}/open-invoicing/")
        assert response.status_code == 405
        assert login_as(email).head(f"/customers/{slug}/open-invoicing/").status_code == 405
    assert simulator.stats()["tokens_minted"] == 0
