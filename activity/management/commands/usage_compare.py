"""``usage_compare --month YYYY-MM (--customer SLUG… | --all)``: our counts against theirs."""

import re
from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from activity.reconciliation import usage_compare
from activity.selectors import month_after
from tenants.encryption import DecryptionError
from tenants.management.customer_command import CustomerCommand
from tenants.models import EntityApiKey
from tenants.services import refuse_unless_ready


def month_bounds(text: str) -> tuple[datetime, datetime]:
    # strptime alone takes "2026-1", and a month of year 9999 has no month after it.
    if not re.fullmatch(r"\d{4}-\d{2}", text):
        raise CommandError(f"--month must look like 2026-11, not {text!r}.")
    try:
        start = timezone.make_aware(datetime.strptime(text, "%Y-%m"))
        return start, month_after(start)
    except (ValueError, OverflowError):
        said = f"--month must be a month from 0001-01 to 9999-11, not {text!r}."
        raise CommandError(said) from None


class Command(CustomerCommand):
    help = (
        "Compare a month's invoice count from webhooks with Space Invoices' GET /invoices "
        "(created in that month, from the webhook registration on); exits 1 on a difference."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, month=None, **options):
        self.bounds = month_bounds(month)
        return super().handle(*args, **options)

    def process(self, customer, dry_run):
        refuse_unless_ready(customer)  # offboarded, its keys are gone: nothing to ask with
        if dry_run:
            return "would compare"
        start, end = self.bounds
        try:
            result = usage_compare(customer=customer, start=start, end=end)
        except DecryptionError:
            return "FAILED: its entity API key cannot be decrypted here (rotate or attach one)"
        except EntityApiKey.DoesNotExist:
            return "FAILED: it has no active entity API key"
        if result.since is None:
            return "no webhook endpoint in that month: nothing counted"
        said = f"counted {result.counted}, Space Invoices lists {result.listed}"
        return f"FAILED: differs: {said}" if result.differs else f"in step: {said}"
