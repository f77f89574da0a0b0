"""Every state-changing POST refuses a request without a CSRF token."""

import pytest
from django.test import Client

from tenants.models import User

pytestmark = pytest.mark.django_db


def test_every_post_needs_a_csrf_token(acme, simulator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(email="ana@acme.example"))
    bo = acme.memberships.get(user__email="bo@acme.example")
    for url, data in [
        ("/customers/acme/open-invoicing/", {}),
        ("/customers/acme/team/add/", {"email": "x@y.example", "role": "viewer"}),
        (f"/customers/acme/team/{bo.pk}/role/", {"role": "admin"}),
        (f"/customers/acme/team/{bo.pk}/remove/", {}),
        ("/accounts/logout/", {}),
        ("/accounts/password_change/", {}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert b"security check" in response.content
    assert simulator.stats()["tokens_minted"] == 0
    assert acme.memberships.count() == 2
    bo.refresh_from_db()
    assert bo.role == "viewer"


def test_login_form_needs_a_csrf_token(db):
    User.objects.create_user(email="ana@x.example", password="pw-member-123")
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "ana@x.example", "password": "pw-member-123"}
    )
    assert response.status_code == 403
