"""The webhook receiver under load: signed deliveries a second on 2 workers, answer times,
and worker memory over 10,000 deliveries (it must stay flat: the inbox is in the database)."""

import itertools
import json
import threading
import time
from datetime import UTC, datetime

import requests

from tests.benchmarks.load import run
from tests.benchmarks.stack import Stack, worker_rss_mb
from tests.webhook_sink import hmac_signature

SECRET = "whsec_" + "b" * 48
ENDPOINT = "wh_" + "c" * 24
BROKER = "redis://127.0.0.1:6379/13"
CLIENTS = 8
TOTAL = 10_000


def _broker() -> str:
    """Redis as the queue when it answers (the receiver then only stores and queues, as in
    production); else processing runs in the request."""
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_timeout=2).flushdb()
        return BROKER
    except Exception:
        return ""


class Sender:
    """One client of Space Invoices' sender: unique signed deliveries, keep-alive."""

    numbers = itertools.count()
    lock = threading.Lock()

    def __init__(self, url: str) -> None:
        self.url = url + "/webhooks/spaceinvoices/"
        self.http = requests.Session()

    def send(self) -> bool:
        with self.lock:
            n = next(self.numbers)
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        data = {"id": f"inv_{n:024x}", "number": f"B-{n}", "currency_code": "EUR",
                "total_with_tax": 100.0, "created_at": stamp, "updated_at": stamp}  # fmt: skip
        body = json.dumps({"event": "invoice.created", "data": data, "timestamp": stamp}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Signature": hmac_signature(SECRET, body),
            "X-Webhook-Id": ENDPOINT,
            "X-Webhook-Event": "invoice.created",
        }
        return self.http.post(self.url, data=body, headers=headers, timeout=30).status_code == 200


def receiver_load(stack: Stack) -> dict:
    from activity.models import Delivery
    from tenants.models import Customer, WebhookEndpoint

    customer = Customer.objects.create(name="Hooks", slug="hooks", country="Italy")
    WebhookEndpoint.objects.create(
        customer=customer, endpoint_id=ENDPOINT, url="http://127.0.0.1/x", secret=SECRET
    )
    broker = _broker()
    saved = dict(stack.env)
    stack.env["CELERY_BROKER_URL"] = broker
    try:
        url, master = stack.gunicorn(workers=2, threads=4)
    finally:
        stack.env.clear()
        stack.env.update(saved)
    senders = [Sender(url) for _ in range(CLIENTS)]
    warm = run([s.send for s in senders], 1000 // CLIENTS)
    after_1000 = max(worker_rss_mb(master))
    started = time.perf_counter()
    measured = run([s.send for s in senders], (TOTAL - 1000) // CLIENTS)
    wall = time.perf_counter() - started
    after_10000 = max(worker_rss_mb(master))
    summary = measured.summary()
    return {
        "processing": "queued on Redis" if broker else "in the request (no broker)",
        "deliveries": Delivery.objects.count(),
        "errors": warm.errors + measured.errors,
        "per_second": round(len(measured.latencies_ms) / wall, 1),
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "rss_mb_after_1000": round(after_1000, 1),
        "rss_mb_after_10000": round(after_10000, 1),
        "growth_mb": round(after_10000 - after_1000, 1),
    }
