"""Comparing a month's usage with Space Invoices' own list of invoices."""

from dataclasses import dataclass
from datetime import UTC, datetime

from spaceinvoices.factory import account_client
from tenants.models import Customer

from .models import UsageEvent


@dataclass(frozen=True)
class UsageComparison:
    customer: Customer
    since: datetime | None  # None: no webhook endpoint yet, so nothing was counted
    counted: int
    listed: int

    @property
    def differs(self) -> bool:
        return self.counted != self.listed


def _api_time(moment: datetime) -> str:
    """How the API writes times (ISO 8601 UTC, milliseconds): they compare as text."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def usage_compare(*, customer: Customer, start: datetime, end: datetime) -> UsageComparison:
    """Invoices counted here against invoices Space Invoices lists as created in
    [start, end), both from the customer's first webhook registration on (before it,
    nothing could be counted). Raises SpaceInvoicesError, or DecryptionError for a key
    this portal cannot read."""
    first = customer.webhook_endpoints.order_by("created_at")
    registered = first.values_list("registered_at", flat=True).first()
    if registered is None or registered >= end:
        return UsageComparison(customer=customer, since=None, counted=0, listed=0)
    since = max(start, registered)
    counted = UsageEvent.objects.filter(
        customer=customer, document_type="invoice", occurred_at__gte=since, occurred_at__lt=end
    ).count()
    key = customer.api_keys.active().get().key
    query = {"created_at": {"gte": _api_time(since), "lt": _api_time(end)}}
    listed = sum(
        1 for _ in account_client().with_key(key).invoices_iter(customer.entity_id, query=query)
    )
    return UsageComparison(customer=customer, since=since, counted=counted, listed=listed)
