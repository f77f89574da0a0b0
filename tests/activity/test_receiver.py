"""The receiver: verified before anything else, kept once, never fooled by a mis-signed,
replayed, stale or oversized request, and processed into activity and usage."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from activity.inbox import refusals_today
from activity.models import Delivery, InvoiceActivity, UsageEvent
from tenants.models import WebhookEndpoint
from tests.activity.deliveries import RECEIVER, body_of, invoice, post, stamp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(make_customer):
    customer = make_customer(name="Acme d.o.o.", slug="acme")
    return WebhookEndpoint.objects.create(
        customer=customer, endpoint_id="wh_" + "a" * 24, url="http://portal.test/x",
        secret="whsec_" + "s" * 48,
    )  # fmt: skip


@pytest.fixture
def web():
    return Client()


def test_a_signed_delivery_is_kept_processed_and_counted(web, endpoint):
    data = invoice(total_with_tax=244.0, currency_code="USD")
    answer = post(web, endpoint, body_of("invoice.created", data))
    assert answer.status_code == 200 and answer.json() == {"outcome": "accepted"}
    [kept] = Delivery.objects.all()
    assert kept.customer == endpoint.customer and kept.event == "invoice.created"
    assert kept.processed_at is not None and kept.error == ""
    assert kept.headers["X-Webhook-Id"] == endpoint.endpoint_id
    invoice_row = InvoiceActivity.objects.get(invoice_id=data["id"])
    assert (invoice_row.currency, str(invoice_row.total)) == ("USD", "244.00")
    [usage] = UsageEvent.objects.all()
    assert (usage.document_type, usage.document_id, usage.customer) == (
        "invoice", data["id"], endpoint.customer,
    )  # fmt: skip


def test_a_mis_signed_delivery_changes_nothing(web, endpoint):
    answer = post(web, endpoint, body_of("invoice.created", invoice()), secret="whsec_wrong")
    assert answer.status_code == 401
    assert Delivery.objects.count() == 0 and UsageEvent.objects.count() == 0
    assert refusals_today()["bad_signature"] == 1


def test_a_body_changed_after_signing_is_refused(web, endpoint):
    from tests.webhook_sink import hmac_signature

    body = body_of("invoice.created", invoice(total_with_tax=1.0))
    forged = body.replace(b'"total_with_tax": 1.0', b'"total_with_tax": 9999.0')
    answer = web.post(
        RECEIVER, data=forged, content_type="application/json",
        HTTP_X_WEBHOOK_ID=endpoint.endpoint_id,
        HTTP_X_WEBHOOK_SIGNATURE=hmac_signature(endpoint.secret, body),
    )  # fmt: skip
    assert answer.status_code == 401 and Delivery.objects.count() == 0


def test_an_unknown_endpoint_is_refused(web, endpoint):
    endpoint.endpoint_id = "wh_" + "b" * 24  # signed right, but claims an endpoint we lack
    answer = post(web, endpoint, body_of("invoice.created", invoice()))
    assert answer.status_code == 401 and Delivery.objects.count() == 0
    assert refusals_today()["unknown_endpoint"] == 1


def test_a_repeat_is_kept_and_processed_once(web, endpoint):
    body = body_of("invoice.created", invoice())
    assert post(web, endpoint, body).json() == {"outcome": "accepted"}
    # Space Invoices retries with a new delivery id: the same endpoint and body.
    again = post(web, endpoint, body)
    assert again.status_code == 200 and again.json() == {"outcome": "repeat"}
    [kept] = Delivery.objects.all()
    assert kept.repeats == 1 and UsageEvent.objects.count() == 1


def test_a_stale_delivery_is_refused_unstored(web, endpoint):
    old = body_of("invoice.created", invoice(), age=timedelta(hours=3, minutes=1))
    assert post(web, endpoint, old).status_code == 400
    future = body_of("invoice.created", invoice(), age=-timedelta(minutes=10))
    assert post(web, endpoint, future).status_code == 400
    assert Delivery.objects.count() == 0 and refusals_today()["stale"] == 2
    # Within the retry schedule (2.5 hours after the event) it is still taken.
    late_retry = body_of("invoice.created", invoice(), age=timedelta(hours=2, minutes=40))
    assert post(web, endpoint, late_retry).status_code == 200


def test_an_oversized_body_is_refused_before_it_is_read(web, endpoint, settings):
    settings.PORTAL_WEBHOOK_MAX_BODY = 1000
    big = body_of("invoice.created", invoice(number="x" * 2000))
    assert post(web, endpoint, big).status_code == 413
    assert Delivery.objects.count() == 0 and refusals_today()["too_large"] == 1


def test_only_post_is_answered(web, endpoint):
    assert web.get(RECEIVER).status_code == 405


def test_a_verified_body_that_is_no_event_is_kept_unprocessed(web, endpoint):
    answer = post(web, endpoint, b"not json at all")
    assert answer.status_code == 200 and answer.json() == {"outcome": "kept unreadable"}
    [kept] = Delivery.objects.all()
    assert kept.processed_at is None and kept.error == "not a webhook event: the body is not JSON"


def test_a_verified_body_nested_past_the_parser_is_kept_unprocessed_not_an_error(web, endpoint):
    answer = post(web, endpoint, b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 200 and answer.json() == {"outcome": "kept unreadable"}
    [kept] = Delivery.objects.all()
    assert kept.error == "not a webhook event: the body is nested too deeply"


def test_refusals_are_logged_at_most_once_a_minute_per_address(web, endpoint, caplog):
    caplog.set_level(logging.WARNING, logger="activity.inbox")
    for _ in range(5):
        post(web, endpoint, body_of("invoice.created", invoice()), secret="whsec_wrong")
    post(web, endpoint, body_of("invoice.created", invoice()), secret="whsec_wrong",
         REMOTE_ADDR="10.0.0.9")  # fmt: skip
    lines = [r.getMessage() for r in caplog.records if r.name == "activity.inbox"]
    assert lines == [
        "webhook refused (bad_signature) from 127.0.0.1",
        "webhook refused (bad_signature) from 10.0.0.9",
    ]
    assert refusals_today()["bad_signature"] == 6


def test_a_retired_endpoint_is_accepted_until_deleted_and_its_retries_are_over(web, endpoint):
    endpoint.retired_at = timezone.now()
    endpoint.save()
    assert post(web, endpoint, body_of("invoice.created", invoice())).status_code == 200
    endpoint.upstream_deleted_at = timezone.now() - timedelta(hours=1)
    endpoint.save()
    assert post(web, endpoint, body_of("invoice.created", invoice())).status_code == 200
    endpoint.upstream_deleted_at = timezone.now() - timedelta(hours=4)
    endpoint.save()
    assert post(web, endpoint, body_of("invoice.created", invoice())).status_code == 401
    assert Delivery.objects.count() == 2


def test_invoice_state_only_moves_forward(web, endpoint):
    """Deliveries are retried out of order: an older object arriving late changes nothing."""
    created = invoice()
    paid = {**created, "paid_in_full": True, "total_due": 0.0, "updated_at": body_of_stamp(1)}
    post(web, endpoint, body_of("invoice.paid", paid))
    post(web, endpoint, body_of("invoice.created", created))  # the earlier event, late
    row = InvoiceActivity.objects.get(invoice_id=created["id"])
    assert row.paid_at is not None and str(row.total_due) == "0.00"
    assert UsageEvent.objects.count() == 1


def body_of_stamp(seconds_later: int) -> str:
    return stamp(datetime.now(UTC) + timedelta(seconds=seconds_later))


def test_a_replay_from_the_admin_processes_again_without_counting_twice(web, endpoint):
    from activity.processing import delivery_process

    post(web, endpoint, body_of("invoice.created", invoice()))
    [kept] = Delivery.objects.all()
    delivery_process(delivery_id=kept.pk)
    delivery_process(delivery_id=kept.pk)
    assert UsageEvent.objects.count() == 1 and InvoiceActivity.objects.count() == 1


def test_one_customers_secret_cannot_touch_another_customers_invoices(web, endpoint, make_customer):
    other = make_customer(name="Globex", slug="globex", entity_id="ent_" + "9" * 24)
    theirs = invoice(number="G-1")
    InvoiceActivity.objects.create(customer=other, invoice_id=theirs["id"], number="G-1",
                                   total="50.00", currency="EUR")  # fmt: skip
    forged = {**theirs, "number": "HACKED", "total_with_tax": 999999.0, "paid_in_full": True}
    assert post(web, endpoint, body_of("invoice.paid", forged)).status_code == 200
    row = InvoiceActivity.objects.get(customer=other)
    assert (row.number, str(row.total), row.paid_at) == ("G-1", "50.00", None)
    # Naming the other entity outright: kept with the reason, nothing applied.
    named = {**invoice(), "entity_id": other.entity_id}
    post(web, endpoint, body_of("invoice.created", named))
    kept = Delivery.objects.get(event="invoice.created")
    assert kept.error == "not processed: the event is about another entity than this endpoint's"
    assert not UsageEvent.objects.filter(document_id=named["id"]).exists()


def test_an_event_without_updated_at_never_wipes_what_is_known(web, endpoint):
    known = invoice(number="A-7", currency_code="USD", total_with_tax=80.0)
    post(web, endpoint, body_of("invoice.created", known))
    post(web, endpoint, body_of("invoice.overdue", {"id": known["id"]}))
    row = InvoiceActivity.objects.get(invoice_id=known["id"])
    assert (row.number, row.currency, str(row.total)) == ("A-7", "USD", "80.00")
    assert row.overdue_at is not None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"total_with_tax": "NaN"}, "0.00"),
        ({"total_with_tax": 1e20}, "0.00"),
        ({"total_with_tax": True}, "0.00"),
        ({"updated_at": "9999-12-31T23:59:59-14:00"}, "122.00"),
    ],
)
def test_odd_values_are_answered_200_and_never_break_processing(web, endpoint, fields, expected):
    data = invoice(**fields)
    answer = post(web, endpoint, body_of("invoice.created", data))
    assert answer.status_code == 200
    row = InvoiceActivity.objects.get(invoice_id=data["id"])
    assert str(row.total) == expected
    assert Delivery.objects.get().processed_at is not None


def test_an_id_too_long_is_kept_with_its_reason_not_retried(web, endpoint):
    from activity.tasks import deliveries_resume

    answer = post(web, endpoint, body_of("invoice.created", invoice(id="inv_" + "x" * 500)))
    assert answer.status_code == 200
    [kept] = Delivery.objects.all()
    assert kept.processed_at is None
    assert kept.error == "not processed: a document id longer than 100 characters"
    Delivery.objects.update(received_at=timezone.now() - timedelta(hours=1))
    assert deliveries_resume() == 0  # a delivery with a reason waits for a replay


def test_currency_codes_are_three_letters_in_capitals_or_nothing(web, endpoint):
    lower, formula = invoice(currency_code="usd"), invoice(currency_code="=A1")
    post(web, endpoint, body_of("invoice.created", lower))
    post(web, endpoint, body_of("invoice.created", formula))
    currencies = dict(UsageEvent.objects.values_list("document_id", "currency"))
    assert currencies == {lower["id"]: "USD", formula["id"]: ""}
