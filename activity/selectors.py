"""Reads for pages: a company's month, its overdue invoices, and usage per month."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tenants.models import Customer

from .models import InvoiceActivity, UsageEvent


@dataclass(frozen=True)
class Tally:
    """How many, and how much in each currency (amounts never add across currencies)."""

    count: int = 0
    amounts: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class MonthActivity:
    month: date
    issued: Tally = field(default_factory=Tally)
    paid: Tally = field(default_factory=Tally)
    overdue: Tally = field(default_factory=Tally)

    @property
    def empty(self) -> bool:
        return not (self.issued.count or self.paid.count or self.overdue.count)


def month_start(moment: datetime | None = None) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_after(start: datetime) -> datetime:
    """The first moment of the month after ``start`` (itself a month's first moment)."""
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def _tally(invoices, amount_field: str) -> Tally:
    rows = invoices.values("currency").annotate(n=Count("pk"), total=Sum(amount_field))
    rows = sorted(rows, key=lambda r: r["currency"])
    return Tally(
        count=sum(r["n"] for r in rows),
        amounts=tuple((r["currency"], r["total"]) for r in rows),
    )


def overdue_invoices(*, customer: Customer):
    return InvoiceActivity.objects.filter(
        customer=customer, overdue_at__isnull=False, paid_at__isnull=True, voided_at__isnull=True
    )


def overdue_count(*, customer: Customer) -> int:
    return overdue_invoices(customer=customer).count()


def month_activity(*, customer: Customer, moment: datetime | None = None) -> MonthActivity:
    """Invoices issued this month and not voided, those paid this month, and those overdue
    now (whenever issued)."""
    start = month_start(moment)
    end = month_after(start)
    mine = InvoiceActivity.objects.filter(customer=customer)
    # A voided invoice is no longer owed: its amount would overstate the month's.
    issued = mine.filter(issued_at__gte=start, issued_at__lt=end, voided_at__isnull=True)
    return MonthActivity(
        month=start.date(),
        issued=_tally(issued, "total"),
        paid=_tally(mine.filter(paid_at__gte=start, paid_at__lt=end), "total"),
        overdue=_tally(overdue_invoices(customer=customer), "total_due"),
    )


@dataclass(frozen=True)
class UsageRow:
    customer_id: int
    customer_name: str
    month: date
    document_type: str
    count: int
    currency: str
    amount: Decimal


def usage_rows(
    *,
    since: datetime,
    until: datetime,
    customer_id: int | None = None,
    document_type: str = "",
) -> list[UsageRow]:
    """Documents made per customer, month, type and currency, oldest month first."""
    events = UsageEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    if customer_id:
        events = events.filter(customer_id=customer_id)
    if document_type:
        events = events.filter(document_type=document_type)
    rows = (
        events.annotate(month=TruncMonth("occurred_at"))
        .values("customer_id", "customer__name", "month", "document_type", "currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("month", "customer__name", "document_type", "currency")
    )
    return [
        UsageRow(
            customer_id=r["customer_id"],
            customer_name=r["customer__name"],
            month=timezone.localtime(r["month"]).date()
            if isinstance(r["month"], datetime)
            else r["month"],
            document_type=r["document_type"],
            count=r["n"],
            currency=r["currency"],
            amount=r["total"] or Decimal("0"),
        )
        for r in rows
    ]


def months_back(*, count: int, moment: datetime | None = None) -> list[datetime]:
    """The starts of the last ``count`` months, oldest first, this month included."""
    start = month_start(moment)
    months = [start]
    for _ in range(count - 1):
        previous = months[0]
        year, month = (
            (previous.year, previous.month - 1) if previous.month > 1 else (previous.year - 1, 12)
        )
        months.insert(0, previous.replace(year=year, month=month))
    return months


def usage_by_month(*, months: list[datetime], rows: list[UsageRow]) -> list[tuple[date, int]]:
    """Documents per month for the chart, every month present (zero when quiet)."""
    counts = {m.date(): 0 for m in months}
    for row in rows:
        if row.month in counts:
            counts[row.month] += row.count
    return sorted(counts.items())
