"""The client's address: X-Forwarded-For believed only as far as the trusted proxies go,
and only when what stands there is an address."""

import pytest
from django.urls import reverse

from embedding.models import LaunchEvent
from portal.client_ip import client_ip


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("6.6.6.6, 203.0.113.7:51234", "203.0.113.7"),  # a proxy that adds the port
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
        ("fe80::7%eth0", "fe80::7"),  # a zone the database could not store
        ("::ffff:203.0.113.7", "203.0.113.7"),  # the same client as plain IPv4
        ("[::ffff:203.0.113.7]:443", "203.0.113.7"),
        ("unknown", "10.0.0.1"),  # not an address: the proxy's own
        ("203.0.113.7; DROP", "10.0.0.1"),
        ("[2001:db8::7", "10.0.0.1"),
        ("999.1.1.1", "10.0.0.1"),
    ],
)
def test_only_an_address_at_the_trusted_position_is_believed(rf, settings, forwarded, expected):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("forwarded", "recorded"),
    [("203.0.113.7:51234", "203.0.113.7"), ("unknown", "127.0.0.1")],
)
def test_a_launch_behind_a_proxy_that_writes_no_plain_address_still_launches_and_is_audited(
    login_as, acme, simulator, settings, forwarded, recorded
):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    response = login_as("bo@acme.example").post(
        reverse("open_invoicing", args=["acme"]), HTTP_X_FORWARDED_FOR=forwarded
    )
    assert response.status_code == 303 and "token=" in response["Location"]
    assert list(LaunchEvent.objects.values_list("client_ip", "outcome")) == [(recorded, "launched")]
