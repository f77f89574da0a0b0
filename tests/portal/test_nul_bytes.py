"""A NUL byte in the query string is answered with the branded 400, before any view (or
database) sees it."""

import logging

import pytest
from django.urls import reverse

from embedding.models import LaunchEvent

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:tenants_customer_changelist")


def test_an_admin_filter_with_a_nul_byte_is_a_400_not_a_500(staff, make_customer, caplog):
    from tests.staff_sign_in import StaffClient

    make_customer()
    client = StaffClient()
    client.force_login(staff)
    assert client.get(CHANGELIST, {"slug": "acme"}).status_code == 200
    with caplog.at_level(logging.ERROR, logger="django.security"):
        for query in ({"slug": "\x00"}, {"q": "a\x00b"}):
            response = client.get(CHANGELIST, query)
            assert response.status_code == 400
            assert [t.name for t in response.templates][:2] == ["400.html", "base.html"]
    security = [r.name for r in caplog.records if r.name.startswith("django.security")]
    assert security == ["django.security.NulByteInQuery"] * 2


def test_a_raw_nul_byte_is_refused_too(client):
    response = client.get(reverse("login"), QUERY_STRING="next=/\x00")
    assert response.status_code == 400 and response.templates[0].name == "400.html"


def test_a_launch_with_a_nul_byte_mints_nothing_and_writes_no_row(login_as, acme, simulator):
    client = login_as("bo@acme.example")
    response = client.post(f"{reverse('open_invoicing', args=['acme'])}?x=%00")
    assert response.status_code == 400
    assert simulator.requests_to("POST /entities/users/{id}/token") == 0
    assert LaunchEvent.objects.count() == 0


def test_a_request_for_another_host_gets_the_branded_400(client):
    response = client.get(reverse("login"), HTTP_HOST="evil.example")
    assert response.status_code == 400 and response.templates[0].name == "400.html"
