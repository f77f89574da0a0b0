"""Receiving a webhook: verify, refuse replays, keep it once in the inbox, process later.

Order matters. Nothing is parsed, and nothing is stored, before the signature over the raw
body checks out; an unverified request is only counted (and logged, at most once a minute
per client address, so a flood cannot flood the logs too).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from spaceinvoices import webhooks as wire
from spaceinvoices.contract import WEBHOOK_MAX_AGE_SECONDS
from tenants.encryption import DecryptionError
from tenants.models import WebhookEndpoint

from .models import Delivery
from .tasks import delivery_process_task

logger = logging.getLogger(__name__)
# Headers kept with a delivery, for support and replays (the signature is no secret).
KEPT_HEADERS = (
    wire.EVENT_HEADER,
    wire.DELIVERY_HEADER,
    wire.ENDPOINT_HEADER,
    wire.TIMESTAMP_HEADER,
    wire.SIGNATURE_HEADER,
    "User-Agent",
)
FUTURE_SKEW = timedelta(minutes=5)  # clocks differ a little; a timestamp from later is forged
REFUSAL_REASONS = (
    "unknown_endpoint",
    "bad_signature",
    "stale",
    "too_large",
    "secret_unreadable",
)


@dataclass(frozen=True)
class Receipt:
    """What the receiver answers: ``status`` and a short ``outcome`` for the log."""

    status: int
    outcome: str


def refusal_count_key(reason: str, day: str) -> str:
    return f"webhooks:refused:{reason}:{day}"


def refusals_today() -> dict[str, int]:
    day = timezone.now().strftime("%Y%m%d")
    keys = {refusal_count_key(reason, day): reason for reason in REFUSAL_REASONS}
    counts = cache.get_many(list(keys))
    return {reason: counts.get(key, 0) for key, reason in keys.items()}


def refuse(*, reason: str, client_ip: str, status: int) -> Receipt:
    """Count and (rate-limited per address) log an unverified or unacceptable request."""
    key = refusal_count_key(reason, timezone.now().strftime("%Y%m%d"))
    if not cache.add(key, 1, timeout=2 * 86400):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=2 * 86400)
    if cache.add(f"webhooks:refusal-logged:{client_ip}", 1, timeout=60):
        logger.warning("webhook refused (%s) from %s", reason, client_ip)
    return Receipt(status=status, outcome=reason)


def _endpoint(endpoint_id: str) -> WebhookEndpoint | None:
    """The endpoint a delivery claims, while its secret is still accepted: active, retired
    but not yet deleted upstream (a rotation's overlap), or deleted so recently that
    retries Space Invoices queued before may still arrive."""
    if not endpoint_id:
        return None
    since = timezone.now() - timedelta(seconds=WEBHOOK_MAX_AGE_SECONDS)
    return (
        WebhookEndpoint.objects.filter(endpoint_id=endpoint_id)
        .exclude(upstream_deleted_at__lt=since)
        .first()
    )


def delivery_receive(*, body: bytes, headers, client_ip: str) -> Receipt:
    """Verify one delivery and keep it in the inbox once; its processing is queued after
    commit. ``headers`` is a case-insensitive mapping (request.headers)."""
    try:
        endpoint = _endpoint(headers.get(wire.ENDPOINT_HEADER, ""))
    except DecryptionError:
        # Our fault, not the sender's: 503 makes Space Invoices retry, and an operator
        # restores the encryption key or rotates the endpoint's secret meanwhile.
        logger.error("webhook secret of endpoint cannot be decrypted: rotate it")
        return refuse(reason="secret_unreadable", client_ip=client_ip, status=503)
    if endpoint is None:
        return refuse(reason="unknown_endpoint", client_ip=client_ip, status=401)
    if not wire.signature_valid(endpoint.secret, body, headers.get(wire.SIGNATURE_HEADER)):
        return refuse(reason="bad_signature", client_ip=client_ip, status=401)
    try:
        event = wire.event_parse(body)
    except wire.InvalidEvent as exc:
        event, problem = None, f"not a webhook event: {exc}"
    else:
        problem = ""
        age = timezone.now() - event.timestamp
        if age > timedelta(seconds=WEBHOOK_MAX_AGE_SECONDS) or age < -FUTURE_SKEW:
            # Older than any retry can be (or from the future): a replay of a captured body.
            return refuse(reason="stale", client_ip=client_ip, status=400)
    return _keep(endpoint, body, headers, event.event if event else "", problem)


def _keep(endpoint, body: bytes, headers, event: str, problem: str) -> Receipt:
    digest = wire.body_digest(body)
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                customer_id=endpoint.customer_id,
                endpoint_id=endpoint.endpoint_id,
                body_sha256=digest,
                body=body,
                headers={name: headers[name] for name in KEPT_HEADERS if name in headers},
                event=event[:60],
                error=problem[:500],
            )
            if not problem:
                transaction.on_commit(lambda: delivery_process_task.delay(delivery.pk))
    except IntegrityError:
        # Space Invoices retried one we already hold (our answer was lost or late).
        Delivery.objects.filter(endpoint_id=endpoint.endpoint_id, body_sha256=digest).update(
            repeats=F("repeats") + 1
        )
        return Receipt(status=200, outcome="repeat")
    # A verified body we cannot read is kept (to replay once we can) and acknowledged:
    # refusing it would only make Space Invoices retry, then disable the endpoint.
    return Receipt(status=200, outcome="kept unreadable" if problem else "accepted")
