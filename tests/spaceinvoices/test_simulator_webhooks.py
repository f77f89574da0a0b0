"""The simulator sends webhooks as Space Invoices documents them: signed over the raw body,
with the documented headers, retried on the documented schedule (compressed here), and an
endpoint disabled after five failures."""

import json
import time

import pytest

from tests.webhook_sink import WebhookSink, hmac_signature

EVENTS = ["invoice.created", "invoice.paid", "invoice.cancelled", "invoice.overdue",
          "payment.received"]  # fmt: skip


@pytest.fixture
def sink():
    server = WebhookSink()
    yield server
    server.close()


def _register(si, entity, url):
    return si.webhook_create(entity.id, url=url, events=EVENTS, description="tests")


def _invoice(si, entity, entity_key, total=100.0):
    return si.with_key(entity_key).invoice_create(
        entity.id,
        customer={"name": "Buyer"},
        items=[{"name": "Work", "quantity": 1, "price": total}],
    )


def test_a_created_invoice_is_delivered_signed_with_the_documented_headers(
    si, simulator, entity, entity_key, sink
):
    endpoint = _register(si, entity, sink.url)
    assert endpoint.secret.startswith("whsec_") and endpoint.active
    invoice = _invoice(si, entity, entity_key, 120.0)
    [delivery] = simulator.deliveries_settled()
    assert delivery["state"] == "delivered" and delivery["attempts"] == 1
    [got] = sink.received
    assert got.headers["X-Webhook-Signature"] == hmac_signature(endpoint.secret, got.body)
    assert got.headers["X-Webhook-Id"] == endpoint.id
    assert got.headers["X-Webhook-Event"] == "invoice.created"
    assert got.headers["User-Agent"] == "SpaceInvoices-Webhook/1.0"
    assert abs(int(got.headers["X-Webhook-Timestamp"]) - time.time()) < 30
    body = json.loads(got.body)
    assert body["event"] == "invoice.created"
    assert body["data"]["id"] == invoice["id"] and body["data"]["total_with_tax"] == 120.0
    assert body["timestamp"].endswith("Z")


def test_payment_and_void_send_their_events(si, simulator, entity, entity_key, sink):
    _register(si, entity, sink.url)
    invoice = _invoice(si, entity, entity_key, 50.0)
    business = si.with_key(entity_key)
    business.payment_create(entity.id, document_id=invoice["id"], amount=50.0, date="2026-11-30")
    other = _invoice(si, entity, entity_key, 10.0)
    business.invoice_void(entity.id, other["id"])
    simulator.deliveries_settled()
    events = [json.loads(r.body)["event"] for r in sink.received]
    assert events == [
        "invoice.created", "payment.received", "invoice.paid", "invoice.created",
        "invoice.cancelled",
    ]  # fmt: skip


def test_the_clock_makes_unpaid_invoices_overdue_once(si, simulator, entity, entity_key, sink):
    _register(si, entity, sink.url)
    _invoice(si, entity, entity_key)  # due in 30 days
    simulator.deliveries_settled()
    # Sample data: invoices due 13 days ago, in 17 and in 48 days; ours is due in 30.
    assert simulator.clock_advance(0) == 1
    assert simulator.clock_advance(31) == 2
    simulator.deliveries_settled()
    overdue = [json.loads(r.body) for r in sink.received if b"invoice.overdue" in r.body]
    assert len({o["data"]["id"] for o in overdue}) == len(overdue) == 3  # each once
    assert simulator.clock_advance(1) == 0  # nothing new becomes overdue
    # Document dates moved with the clock; delivery timestamps stayed real.
    for o in overdue:
        assert abs(time.time() - _epoch(o["timestamp"])) < 60


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


def test_failed_attempts_are_retried_then_the_endpoint_is_disabled(
    si, simulator, entity, entity_key
):
    simulator.webhook_retries_scale(0.0005)  # 1 min → 30 ms, 2 h → 3.6 s
    sink = WebhookSink(fail_first=100)
    try:
        _register(si, entity, sink.url)
        _invoice(si, entity, entity_key)
        [delivery] = simulator.deliveries_settled(seconds=30)
    finally:
        sink.close()
    assert delivery["state"] == "failed" and delivery["attempts"] == 5
    assert len(sink.received) == 5
    assert len({r.headers["X-Webhook-Delivery"] for r in sink.received}) == 5  # new per attempt
    assert len({r.body for r in sink.received}) == 1  # the same signed body each time
    [listed] = si.webhooks_list(entity.id)
    assert listed.active is False
    assert simulator.stats()["emails_sent"] == 1  # the owner is told


def test_a_deleted_endpoint_gets_nothing(si, simulator, entity, entity_key, sink):
    endpoint = _register(si, entity, sink.url)
    si.webhook_delete(entity.id, endpoint.id)
    _invoice(si, entity, entity_key)
    time.sleep(0.3)
    assert sink.received == [] and simulator.deliveries() == []
    assert si.webhooks_list(entity.id) == []


def test_registration_refuses_a_bad_url_or_unknown_events(si, entity):
    from spaceinvoices.client import InvalidRequest

    with pytest.raises(InvalidRequest) as bad:
        si.webhook_create(entity.id, url="ftp://x", events=["invoice.exploded"])
    assert set(bad.value.field_errors) == {"url", "events"}
