"""Processing a kept delivery: update the invoice's state, count documents for usage.

Safe to run twice (a replay from the admin, a task delivered again): the usage count is
one per document, and an invoice's state only moves forward.
"""

import logging
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from spaceinvoices.webhooks import InvalidEvent, WebhookEvent, event_parse

from .alerts import overdue_alert_send
from .models import Delivery, InvoiceActivity, UsageEvent

logger = logging.getLogger(__name__)
# What partners bill by: a document made, whatever its type.
COUNTED_TYPES = ("invoice", "estimate", "credit_note", "advance_invoice")


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return Decimal("0.00")


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _usage_count(delivery: Delivery, event: WebhookEvent) -> None:
    data = event.data
    if event.action != "created" or event.object_type not in COUNTED_TYPES:
        return
    if not isinstance(data.get("id"), str):
        return
    UsageEvent.objects.get_or_create(
        document_type=event.object_type,
        document_id=data["id"],
        defaults={
            "customer_id": delivery.customer_id,
            "delivery": delivery,
            "currency": str(data.get("currency_code") or "")[:3],
            "amount": _amount(data.get("total_with_tax", data.get("total"))),
            "occurred_at": _time(data.get("created_at")) or event.timestamp,
        },
    )


def _invoice_apply(delivery: Delivery, event: WebhookEvent) -> bool:
    """Apply an invoice event; whether the invoice became overdue just now."""
    data = event.data
    if event.object_type != "invoice" or not isinstance(data.get("id"), str):
        return False
    invoice, _ = InvoiceActivity.objects.select_for_update().get_or_create(
        invoice_id=data["id"], defaults={"customer_id": delivery.customer_id}
    )
    updated = _time(data.get("updated_at"))
    if (
        updated is None
        or invoice.upstream_updated_at is None
        or updated >= invoice.upstream_updated_at
    ):
        invoice.number = str(data.get("number") or "")[:100]
        invoice.currency = str(data.get("currency_code") or "")[:3]
        invoice.total = _amount(data.get("total_with_tax", data.get("total")))
        invoice.total_due = _amount(data.get("total_due", data.get("total_with_tax")))
        invoice.date_due = _time(data.get("date_due"))
        invoice.upstream_updated_at = updated or invoice.upstream_updated_at
    invoice.issued_at = invoice.issued_at or _time(data.get("created_at")) or event.timestamp
    if (event.action == "paid" or data.get("paid_in_full") is True) and not invoice.paid_at:
        invoice.paid_at = event.timestamp
    if (event.action == "cancelled" or data.get("voided_at")) and not invoice.voided_at:
        invoice.voided_at = _time(data.get("voided_at")) or event.timestamp
    became_overdue = event.action == "overdue" and not invoice.overdue_at
    if became_overdue:
        invoice.overdue_at = event.timestamp
    invoice.save()
    return became_overdue and invoice.is_overdue


def delivery_process(*, delivery_id: int) -> None:
    """Process one kept delivery (again, from a replay: the outcome is the same)."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        try:
            event = event_parse(bytes(delivery.body))
        except InvalidEvent as exc:
            delivery.error = f"not a webhook event: {exc}"
            delivery.save(update_fields=["error"])
            return
        _usage_count(delivery, event)
        overdue = _invoice_apply(delivery, event)
        delivery.processed_at, delivery.error = timezone.now(), ""
        delivery.save(update_fields=["processed_at", "error"])
        if overdue:
            invoice_id = event.data["id"]
            transaction.on_commit(lambda: overdue_alert_send(invoice_id=invoice_id))
    logger.info("webhook %s processed for customer %s", event.event, delivery.customer_id)
