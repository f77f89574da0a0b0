"""Building webhook deliveries as Space Invoices sends them (signed independently here)."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from tests.webhook_sink import hmac_signature

RECEIVER = "/webhooks/spaceinvoices/"


def stamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def invoice(**fields) -> dict:
    now = stamp()
    return {
        "id": "inv_" + uuid.uuid4().hex[:24],
        "number": "2026-001",
        "currency_code": "EUR",
        "total": 100.0,
        "total_with_tax": 122.0,
        "total_due": 122.0,
        "paid_in_full": False,
        "voided_at": None,
        "date_due": stamp(datetime.now(UTC) + timedelta(days=30)),
        "created_at": now,
        "updated_at": now,
        **fields,
    }


def body_of(event: str, data: dict, *, age: timedelta = timedelta(0)) -> bytes:
    return json.dumps(
        {"event": event, "data": data, "timestamp": stamp(datetime.now(UTC) - age)}
    ).encode()


def post(client, endpoint, body: bytes, *, secret: str | None = None, **headers):
    """POST ``body`` as a delivery of ``endpoint`` (signed with its secret unless told)."""
    signature = hmac_signature(secret if secret is not None else endpoint.secret, body)
    meta = {
        "HTTP_X_WEBHOOK_SIGNATURE": signature,
        "HTTP_X_WEBHOOK_ID": endpoint.endpoint_id,
        "HTTP_X_WEBHOOK_EVENT": json.loads(body).get("event", "") if body[:1] == b"{" else "",
        "HTTP_X_WEBHOOK_DELIVERY": "whd_" + uuid.uuid4().hex[:12],
        "HTTP_USER_AGENT": "SpaceInvoices-Webhook/1.0",
        **headers,
    }
    return client.post(RECEIVER, data=body, content_type="application/json", **meta)
