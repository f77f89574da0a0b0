"""Entity webhook endpoints, and signed deliveries with the documented retry schedule."""

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request

from .api import Call, invalid, not_found, require_dict, route
from .paging import paginate
from .store import Store, dumps, iso, new_id, now

logger = logging.getLogger("simulator.webhooks")
EVENTS = frozenset(
    {
        "invoice.created",
        "invoice.updated",
        "invoice.sent",
        "invoice.paid",
        "invoice.overdue",
        "invoice.cancelled",
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "payment.received",
        "payment.failed",
        "estimate.created",
        "estimate.sent",
        "estimate.accepted",
        "estimate.rejected",
        "credit_note.created",
        "credit_note.issued",
        "advance_invoice.created",
        "advance_invoice.paid",
        "advance_invoice.applied",
    }
)
# After the first attempt (at once), retries come 1 min, 5 min, 30 min and 2 h later [doc];
# Store.retry_scale compresses them for tests.
RETRY_DELAYS = (60, 300, 1800, 7200)
ATTEMPTS = 1 + len(RETRY_DELAYS)
WAKE = threading.Event()


def _listed(row) -> dict:
    return {
        "id": row["id"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "description": row["description"],
        "active": bool(row["active"]),
        "created_at": row["created_at"],
    }


@route("POST", "/webhooks", "entity")
def webhook_create(store: Store, call: Call):
    body = require_dict(call.body)
    url, events = body.get("url"), body.get("events")
    problems = {}
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems["url"] = ("invalid_string", "A http(s) URL is required.")
    if not isinstance(events, list) or not events:
        problems["events"] = ("too_small", "Choose at least one event.")
    elif unknown := [e for e in events if e not in EVENTS]:
        problems["events"] = ("invalid_enum_value", f"Unknown events: {unknown}.")
    if problems:
        raise invalid(problems)
    row = {
        "id": new_id("wh_"),
        "secret": "whsec_" + secrets.token_hex(24),
        "created_at": iso(now()),
    }
    store.run(
        "INSERT INTO webhooks (id, entity_id, url, events, description, secret, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        row["id"],
        call.entity["id"],
        url,
        dumps(events),
        body.get("description"),
        row["secret"],
        row["created_at"],
    )
    created = store.one("SELECT * FROM webhooks WHERE id = ?", row["id"])
    return 201, {**_listed(created), "secret": row["secret"]}


@route("GET", "/webhooks", "entity")
def webhooks_list(store: Store, call: Call):
    rows = store.all(
        "SELECT * FROM webhooks WHERE entity_id = ? AND deleted = 0 ORDER BY seq",
        call.entity["id"],
    )
    return 200, paginate(call, [_listed(r) for r in rows])


@route("DELETE", "/webhooks/([^/]+)", "entity")
def webhook_delete(store: Store, call: Call):
    row = store.one(
        "SELECT * FROM webhooks WHERE id = ? AND entity_id = ? AND deleted = 0",
        call.args[0],
        call.entity["id"],
    )
    if row is None:
        raise not_found("Webhook")
    store.run("UPDATE webhooks SET deleted = 1 WHERE id = ?", row["id"])
    store.run(
        "UPDATE deliveries SET state = 'dropped' WHERE webhook_id = ? AND state = 'pending'",
        row["id"],
    )
    return 204, None


def emit(store: Store, entity_id: str, event: str, data: dict) -> None:
    """Queue ``event`` for every active endpoint of the entity that chose it. Inside the
    API call's transaction: a call that fails sends nothing."""
    assert event in EVENTS, event
    body = dumps({"event": event, "data": data, "timestamp": iso(now())})  # real time
    for hook in store.all(
        "SELECT id, events FROM webhooks WHERE entity_id = ? AND active = 1 AND deleted = 0",
        entity_id,
    ):
        if event in json.loads(hook["events"]):
            store.run(
                "INSERT INTO deliveries (webhook_id, event, body, due_at, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                hook["id"],
                event,
                body,
                time.time(),
                iso(now()),
            )
    WAKE.set()


def _headers(delivery, body: bytes) -> dict:
    digest = hmac.new(delivery["secret"].encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "User-Agent": "SpaceInvoices-Webhook/1.0",
        "X-Webhook-Signature": f"sha256={digest}",
        "X-Webhook-Timestamp": str(int(time.time())),
        "X-Webhook-Event": delivery["event"],
        "X-Webhook-Delivery": new_id("whd_"),  # a new one for every attempt [doc]
        "X-Webhook-Id": delivery["webhook_id"],
    }


def _post(url: str, body: bytes, headers: dict) -> int | None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None  # no answer: refused, reset or timed out


def deliver_due(store: Store) -> int:
    """Attempt every delivery that is due; how many were attempted."""
    with store.transaction():
        due = store.all(
            "SELECT d.*, w.url, w.secret FROM deliveries d "
            "JOIN webhooks w ON w.id = d.webhook_id "
            "WHERE d.state = 'pending' AND d.due_at <= ? AND w.deleted = 0 AND w.active = 1 "
            "ORDER BY d.seq LIMIT 50",
            time.time(),
        )
    for delivery in due:
        body = delivery["body"].encode()
        status = _post(delivery["url"], body, _headers(delivery, body))
        attempts = delivery["attempts"] + 1
        with store.transaction():
            if status is not None and 200 <= status < 300:
                state, due_at = "delivered", delivery["due_at"]
            elif attempts >= ATTEMPTS:
                state, due_at = "failed", delivery["due_at"]
                _endpoint_disable(store, delivery["webhook_id"])
            else:
                state = "pending"
                due_at = time.time() + RETRY_DELAYS[attempts - 1] * store.retry_scale
            store.run(
                "UPDATE deliveries SET attempts = ?, state = ?, due_at = ?, last_status = ? "
                "WHERE seq = ?",
                attempts,
                state,
                due_at,
                status,
                delivery["seq"],
            )
    return len(due)


def _endpoint_disable(store: Store, hook_id: str) -> None:
    """Five failures in a row: the endpoint is disabled and the entity's owner emailed."""
    store.run("UPDATE webhooks SET active = 0 WHERE id = ?", hook_id)
    store.email_record("webhook_disabled", hook_id)


def dispatcher_start(store: Store, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                sent = deliver_due(store)
            except Exception:
                logger.exception("webhook dispatcher")
                sent = 0
            if not sent:
                WAKE.wait(0.05)
                WAKE.clear()

    thread = threading.Thread(target=loop, name="webhook-dispatcher", daemon=True)
    thread.start()
    return thread


def deliveries_list(store: Store) -> list[dict]:
    """For the control API: what was sent where, how often, with what answer."""
    rows = store.all(
        "SELECT seq, webhook_id, event, attempts, state, last_status, created_at "
        "FROM deliveries ORDER BY seq"
    )
    return [dict(r) for r in rows]
