"""Overdue alerts: each opted-in admin gets one, whatever the invoice number holds."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from activity.alerts import overdue_alert_send
from activity.models import InvoiceActivity, OverdueAlert
from tenants.models import User

pytestmark = pytest.mark.django_db


def test_a_number_with_a_line_break_still_alerts_every_admin_on_one_subject_line(acme, make_member):
    make_member(acme, "cy@acme.example", "admin")
    for email in ("ana@acme.example", "cy@acme.example"):
        OverdueAlert.objects.create(customer=acme, user=User.objects.get(email=email))
    # The number is the customer's own text in Space Invoices: a header must not break on it.
    InvoiceActivity.objects.create(
        customer=acme, invoice_id="inv_8", number="2026-8\r\nBcc:\x1b[31m\x07x@evil.example",
        currency="EUR", total=Decimal("5"), total_due=Decimal("5"), overdue_at=timezone.now(),
    )  # fmt: skip
    assert overdue_alert_send(customer_id=acme.pk, invoice_id="inv_8") == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@acme.example", "cy@acme.example"]
    subject = mail.outbox[0].subject
    assert "invoice 2026-8 Bcc: [31m x@evil.example is overdue" in subject
    assert all(not m.bcc for m in mail.outbox)
