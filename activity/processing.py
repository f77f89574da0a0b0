"""Processing a kept delivery: update the invoice's state, count documents for usage.

Safe to run twice (a replay from the admin, a task delivered again): the usage count is
one per document, and an invoice's state only moves forward.
"""

import logging
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from spaceinvoices.webhooks import InvalidEvent, WebhookEvent, event_parse

from .alerts import overdue_alert_send
from .models import Delivery, InvoiceActivity, UsageEvent

logger = logging.getLogger(__name__)
# What partners bill by: a document made, whatever its type.
COUNTED_TYPES = ("invoice", "estimate", "credit_note", "advance_invoice")
LARGEST = Decimal("1e12")  # the columns hold 14 digits with 2 decimals
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
ID_LENGTH = 100


class UnusableEvent(Exception):
    """A verified event the portal cannot use (another entity's, an id too long...)."""


def _amount(value) -> Decimal:
    """An amount as the columns hold it; anything else (text, NaN, 1e20) counts as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return Decimal("0.00")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("0.00")
    if not amount.is_finite() or abs(amount) >= LARGEST:
        return Decimal("0.00")
    return amount.quantize(Decimal("0.01"))


def _currency(value) -> str:
    """ISO 4217 codes are three letters; anything else is left blank (never a formula)."""
    return value.upper() if isinstance(value, str) and CURRENCY.match(value) else ""


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _document_id(event: WebhookEvent) -> str | None:
    ident = event.data.get("id")
    if not isinstance(ident, str) or not ident:
        return None
    if len(ident) > ID_LENGTH:
        raise UnusableEvent(f"a document id longer than {ID_LENGTH} characters")
    return ident


def _check_entity(delivery: Delivery, event: WebhookEvent) -> None:
    """An event names its entity; it must be the endpoint's customer's (a leaked secret of
    one customer must not touch another's invoices)."""
    entity = event.data.get("entity_id")
    if entity is not None and entity != delivery.customer.entity_id:
        raise UnusableEvent("the event is about another entity than this endpoint's")


def _usage_count(delivery: Delivery, event: WebhookEvent) -> None:
    data = event.data
    if event.action != "created" or event.object_type not in COUNTED_TYPES:
        return
    document_id = _document_id(event)
    if document_id is None:
        return
    UsageEvent.objects.get_or_create(
        customer_id=delivery.customer_id,
        document_type=event.object_type,
        document_id=document_id,
        defaults={
            "delivery": delivery,
            "currency": _currency(data.get("currency_code")),
            "amount": _amount(data.get("total_with_tax", data.get("total"))),
            "occurred_at": _time(data.get("created_at")) or event.timestamp,
        },
    )


def _invoice_apply(delivery: Delivery, event: WebhookEvent) -> bool:
    """Apply an invoice event; whether the invoice became overdue just now."""
    data = event.data
    document_id = _document_id(event)
    if event.object_type != "invoice" or document_id is None:
        return False
    invoice, _ = InvoiceActivity.objects.select_for_update().get_or_create(
        customer_id=delivery.customer_id, invoice_id=document_id
    )
    updated = _time(data.get("updated_at"))
    newest = invoice.upstream_updated_at
    # Only a newer object replaces what is known; one without updated_at only fills in an
    # invoice known from nothing else, field by field (never wiping one with a blank).
    if newest is None or (updated is not None and updated >= newest):
        _fields_apply(invoice, data)
        invoice.upstream_updated_at = updated or newest
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


def _fields_apply(invoice: InvoiceActivity, data: dict) -> None:
    if "number" in data:
        invoice.number = str(data.get("number") or "")[:100]
    if "currency_code" in data:
        invoice.currency = _currency(data.get("currency_code"))
    if "total_with_tax" in data or "total" in data:
        invoice.total = _amount(data.get("total_with_tax", data.get("total")))
    if "total_due" in data:
        invoice.total_due = _amount(data.get("total_due"))
    if "date_due" in data:
        invoice.date_due = _time(data.get("date_due"))


def delivery_process(*, delivery_id: int) -> None:
    """Process one kept delivery (again, from a replay: the outcome is the same)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update().select_related("customer").get(pk=delivery_id)
        )
        try:
            event = event_parse(bytes(delivery.body))
            _check_entity(delivery, event)
            with transaction.atomic():  # a refusal below undoes only this delivery's part
                _usage_count(delivery, event)
                overdue = _invoice_apply(delivery, event)
        except (InvalidEvent, UnusableEvent, ValidationError, DataError, IntegrityError,
                ArithmeticError, ValueError) as exc:  # fmt: skip
            # Data it cannot use: kept with its reason (shown in the inbox, never retried on
            # its own), to replay once the cause is fixed; the sender had its 200 already.
            # A database that is down is not this: the task fails and is run again.
            delivery.error = f"not processed: {exc}"[:500]
            delivery.save(update_fields=["error"])
            logger.warning("webhook delivery %s not processed: %s", delivery.pk, exc)
            return
        delivery.processed_at, delivery.error = timezone.now(), ""
        delivery.save(update_fields=["processed_at", "error"])
        if overdue:
            customer_id, invoice_id = delivery.customer_id, event.data["id"]
            transaction.on_commit(
                lambda: overdue_alert_send(customer_id=customer_id, invoice_id=invoice_id)
            )
    logger.info("webhook %s processed for customer %s", event.event, delivery.customer_id)
