"""Webhook deliveries from Space Invoices: the signature check and the event's shape.

Verify first, parse after: ``signature_valid`` works on the raw body as received, and
only a body it accepts reaches ``event_parse``.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
EVENT_HEADER = "X-Webhook-Event"
DELIVERY_HEADER = "X-Webhook-Delivery"
ENDPOINT_HEADER = "X-Webhook-Id"
SIGNATURE_PREFIX = "sha256="


class InvalidEvent(Exception):
    """A verified body that is not the documented event shape."""


@dataclass(frozen=True)
class WebhookEvent:
    """``{"event", "data", "timestamp"}``: what happened, to which object, signed when."""

    event: str
    data: dict
    timestamp: datetime

    @property
    def object_type(self) -> str:
        """``invoice`` for ``invoice.paid``, ``credit_note`` for ``credit_note.created``."""
        return self.event.rsplit(".", 1)[0]

    @property
    def action(self) -> str:
        return self.event.rsplit(".", 1)[-1]


def signature(secret: str, body: bytes) -> str:
    """The header value Space Invoices sends: ``sha256=`` + hex HMAC-SHA256 of the raw body,
    keyed with the endpoint's whole secret string (``whsec_…``) [doc]."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``, compared in constant time."""
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())


def body_digest(body: bytes) -> str:
    """What recognises a repeated delivery, with the endpoint id: there is no event id."""
    return hashlib.sha256(body).hexdigest()


def event_parse(body: bytes) -> WebhookEvent:
    """The event in a verified body; InvalidEvent when it is not the documented shape."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        raise InvalidEvent("the body is not JSON") from None
    except RecursionError:  # nested deeper than the parser goes: no event is shaped so
        raise InvalidEvent("the body is nested too deeply") from None
    if not isinstance(parsed, dict):
        raise InvalidEvent("the body is not a JSON object")
    event, data, stamp = parsed.get("event"), parsed.get("data"), parsed.get("timestamp")
    if not isinstance(event, str) or "." not in event:
        raise InvalidEvent("no event name")
    if not isinstance(data, dict):
        raise InvalidEvent("no data object")
    if not isinstance(stamp, str):
        raise InvalidEvent("no timestamp")
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        raise InvalidEvent("the timestamp is not ISO 8601") from None
    return WebhookEvent(
        event=event, data=data, timestamp=moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    )
