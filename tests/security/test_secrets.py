"""Keys and tokens never reach a log line, an admin page, or a refusal; tampering is caught."""

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.urls import reverse

from embedding.models import LaunchEvent
from tenants.models import EntityApiKey, User, WebhookEndpoint
from tenants.services import entity_key_rotate, members_sync

pytestmark = pytest.mark.django_db


class Everything(logging.Handler):
    """Keeps every record, at every level, from every logger."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))
        self.lines.append(" ".join(f"{k}={v}" for k, v in getattr(record, "fields", {}).items()))


@pytest.fixture
def every_log_record():
    handler, root = Everything(), logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def all_keys() -> list[str]:
    return [k.key for k in EntityApiKey.objects.all()]


def all_webhook_secrets() -> list[str]:
    return [w.secret for w in WebhookEndpoint.objects.all()]


def test_a_webhook_secret_in_any_text_is_masked():
    from portal.redaction import redact

    secret = "whsec_" + "a1" * 24
    assert redact(f"failed with {secret} in it") == "failed with whsec_*** in it"


def test_webhook_rotation_with_a_failed_deletion_logs_no_secret(acme, simulator, every_log_record):
    from tenants.services import webhook_endpoint_rotate

    simulator.fault(path_prefix="/webhooks/", method="DELETE", status=503, count=9)
    warnings = webhook_endpoint_rotate(customer=acme, actor="test")
    assert warnings  # the old endpoint is left to delete: reported, logged
    text = "\n".join(every_log_record.lines)
    assert "DELETE /webhooks/" in text
    for secret in all_webhook_secrets():
        assert secret not in text and secret not in " ".join(warnings)


def test_a_whole_demo_flow_logs_no_key_and_no_token(
    acme, globex, login_as, simulator, account_key, every_log_record, staff, client
):
    tokens = []
    for email, slug in [("bo@acme.example", "acme"), ("cy@globex.example", "globex")]:
        response = login_as(email).post(f"/customers/{slug}/open-invoicing/")
        tokens += parse_qs(urlsplit(response["Location"]).query)["token"]
    simulator.fault(path_prefix="/entities/users/", method="POST", status=503, count=3)
    login_as("bo@acme.example").post("/customers/acme/open-invoicing/")  # an outage, logged
    entity_key_rotate(customer=globex, actor="test")
    simulator.fault(path_prefix="/entities/api-keys/", method="DELETE", status=503, count=9)
    entity_key_rotate(customer=globex, actor="test")  # a failed deletion: the key in a path
    members_sync(customer=acme, actor="test")
    client.force_login(staff)
    client.get(reverse("admin:tenants_customer_changelist"))
    secrets = [*all_keys(), *tokens, account_key]
    assert len(secrets) == 6 + 1
    text = "\n".join(every_log_record.lines)
    assert "space invoices DELETE /entities/api-keys/ek_sandbox_***" in text  # it was logged
    for secret in secrets:
        assert secret not in text
    assert not re.search(r"(ek|sk)_sandbox_[0-9a-f]{32}", text)
    assert not re.search(r"token=(?!\*\*\*)", text)  # any token= is masked


def test_admin_pages_never_show_a_key(acme, globex, staff, client, account_key):
    entity_key_rotate(customer=globex, actor="test")  # a revoked key too
    client.force_login(staff)
    pages = [
        reverse("admin:index"),
        reverse("admin:tenants_customer_changelist"),
        reverse("admin:tenants_customer_change", args=[acme.pk]),
        reverse("admin:tenants_customer_change", args=[globex.pk]),
        reverse("admin:tenants_customer_add"),
        reverse("admin:tenants_membership_changelist"),
        reverse("admin:tenants_staffaction_changelist"),
        reverse("admin:embedding_launchevent_changelist"),
        reverse("admin:tenants_user_changelist"),
        reverse("admin:tenants_webhookendpoint_changelist"),
        reverse("admin:tenants_webhookendpoint_change", args=[acme.webhook_endpoints.get().pk]),
    ]
    secrets = [*all_keys(), account_key, *all_webhook_secrets()]
    assert all(s.startswith("whsec_") for s in all_webhook_secrets())
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for secret in secrets:
            assert secret not in html, page


def test_tampered_ciphertext_is_a_clear_error_not_a_key(globex, login_as, staff, client, simulator):
    key = EntityApiKey.objects.active().get(customer=globex)
    table = EntityApiKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET key = %s WHERE id = %s", ["gAAAAABtampered" + "x" * 80, key.pk]
        )
    response = login_as("cy@globex.example").post("/customers/globex/open-invoicing/")
    assert response.status_code == 503 and b"needs attention" in response.content
    assert simulator.stats()["tokens_minted"] == 0
    globex.refresh_from_db()
    assert globex.key_rejected_at is not None
    assert LaunchEvent.objects.get().outcome == "key_rejected"
    client.force_login(staff)
    page = client.get(reverse("admin:tenants_customer_change", args=[globex.pk]))
    assert page.status_code == 200 and key.prefix_hint.encode() in page.content


def test_spoofed_forwarded_for_does_not_escape_the_lockout(db, client, settings):
    User.objects.create_user(email="ana@x.example", password="right-password-1")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": "ana@x.example", "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        "/accounts/login/",
        {"username": "ana@x.example", "password": "right-password-1"},
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert response.status_code == 429
