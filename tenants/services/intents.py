"""Intent, commit, call, record: every upstream write survives the process dying mid-way.

1. Record the intent (the step and the request id it will use) and commit it.
2. Call Space Invoices, with no transaction open.
3. Record the outcome, in one transaction with whatever the answer changes locally.

Killed between 1 and 3, the intent stays open: the next run sends the same request id, so
Space Invoices replays the write instead of doing it twice. Once an answer is recorded the
intent is closed, and the next attempt at that step gets a new id.
"""

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from portal.redaction import redact
from spaceinvoices.client import (
    IdempotencyKeyReused,
    RateLimited,
    SpaceInvoicesError,
    Unavailable,
)
from spaceinvoices.contract import request_id_new
from spaceinvoices.factory import no_transaction_open
from tenants.locking import customer_lock_renew
from tenants.models import Customer, UpstreamIntent

T = TypeVar("T")
Outcome = UpstreamIntent.Outcome


def _open(customer: Customer, step: str) -> UpstreamIntent:
    existing = UpstreamIntent.objects.filter(
        customer=customer, step=step, outcome=Outcome.OPEN
    ).first()
    if existing:
        later = UpstreamIntent.objects.filter(customer=customer, pk__gt=existing.pk).exists()
        if not later:
            return existing  # an earlier run's outcome is unknown: send the same id again
        # Other writes came after it: its replay could undo them. The caller has looked for
        # its effect (an entity by metadata, a user by email) before calling again.
        _close(existing, Outcome.SUPERSEDED)
    return UpstreamIntent.objects.create(
        customer=customer,
        step=step,
        request_id=request_id_new(f"{customer.uuid}:{step}"),
    )


def _close(intent: UpstreamIntent, outcome: str, detail: str = "") -> None:
    intent.outcome = outcome
    intent.detail = redact(detail)[:500]
    intent.answered_at = timezone.now()
    intent.save(update_fields=["outcome", "detail", "answered_at"])


def upstream_write(
    *,
    customer: Customer,
    step: str,
    call: Callable[[str], T],
    record: Callable[[T], None] | None = None,
) -> T:
    """Make one upstream write at ``step`` for ``customer``; ``call(request_id)`` makes it
    and ``record(answer)`` stores what it changed, atomically with closing the intent.

    ``call`` must be safe to make afresh once the caller has looked for an earlier
    attempt's effect (an entity by its metadata, a user by email): a request id refused as
    reused (the body changed since) is retried once under a new id.
    """
    no_transaction_open()
    customer_lock_renew(customer)
    intent = _open(customer, step)
    try:
        answer = call(intent.request_id)
    except (Unavailable, RateLimited):
        raise  # outcome unknown: the intent stays open and its id is used again
    except IdempotencyKeyReused:
        _close(intent, Outcome.REFUSED, "request id reused with another body")
        return upstream_write(customer=customer, step=step, call=call, record=record)
    except SpaceInvoicesError as exc:
        _close(intent, Outcome.REFUSED, str(exc))
        raise
    with transaction.atomic():
        if record:
            record(answer)
        _close(intent, Outcome.DONE)
    return answer
