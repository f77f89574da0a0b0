"""Celery tasks: thin, each calling the same service as the admin and the commands.

Every task is safe to run twice (a worker killed mid-task has it delivered again): the
services record each upstream write before making it and finish what a killed run began,
and an item already done is not run again.
"""

import logging
from datetime import timedelta
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from embedding import retention
from spaceinvoices.budget import bulk_calls
from spaceinvoices.client import RateLimited, SpaceInvoicesError, Unavailable
from tenants.admin.customer_runs import RUNS
from tenants.errors import PartlyApplied, TenantError
from tenants.locking import CustomerBusy
from tenants.models import (
    AccessMode,
    Customer,
    DetailsState,
    Membership,
    ProvisioningState,
    SyncState,
)

from .models import JobItem

logger = logging.getLogger(__name__)
# Worth waiting for: Space Invoices down or busy, or another run on the same customer.
PASSING = (Unavailable, RateLimited, CustomerBusy)
MAX_ATTEMPTS = 8
# How long a team change is left to the request that saved it before the schedule applies it.
MEMBERS_RETRY_AFTER = timedelta(minutes=2)
# ...and how long a customer whose retry failed waits for the next (the nightly sync aside).
MEMBERS_RETRY_BACKOFF = timedelta(hours=1)
MEMBERS_RETRY_ORIGIN = "schedule:members_retry_unapplied"


def _retry_in(exc: Exception, attempts: int) -> float:
    """Space Invoices' Retry-After when it gave one, else backoff from 30 s, doubling;
    never past most of the visibility timeout: Redis would hand a task delayed longer to
    another worker meanwhile, and ``jobs_resume`` would queue it again."""
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        wait = exc.retry_after
    else:
        wait = 30 * 2 ** (attempts - 1)
    return min(wait, settings.CELERY_VISIBILITY_TIMEOUT * 0.8)


def _passing(exc: Exception) -> Exception | None:
    """The passing failure behind ``exc`` (itself, or what a part applied here was stopped
    by upstream), worth another try later; None for one that is not."""
    cause = exc.__cause__ if isinstance(exc, PartlyApplied) else exc
    return cause if isinstance(cause, PASSING) else None


def _actor(item: JobItem):
    """Who the audit names: whoever pressed Retry, else whoever started the job."""
    return item.retried_by or item.job.created_by or item.job.origin or f"job:{item.job_id}"


@shared_task(bind=True, acks_late=True)
def job_item_run(self, item_id: int) -> str:
    """Run one customer of a bulk job; its state says how it went. Attempts are counted on
    the item, so a task queued again (by ``jobs_resume``) keeps to the same cap."""
    found = JobItem.objects.select_related("job__created_by", "customer", "retried_by")
    item = found.filter(pk=item_id).first()
    if item is None or item.state in (JobItem.State.DONE, JobItem.State.FAILED):
        return "nothing to do"  # a second delivery of finished work
    attempts = item.attempts + 1
    JobItem.objects.filter(pk=item.pk).update(
        state=JobItem.State.RUNNING, attempts=attempts, updated_at=timezone.now()
    )
    run = RUNS.get(item.job.kind)
    try:
        if run is None:
            raise TenantError(f"unknown job kind {item.job.kind!r}")
        with bulk_calls():
            warning = run(item.customer, _actor(item))
    except (*PASSING, PartlyApplied) as exc:
        passing = _passing(exc)
        if passing is None or self.request.is_eager or attempts >= MAX_ATTEMPTS:
            return _settle(item, JobItem.State.FAILED, str(exc))
        _settle(item, JobItem.State.PENDING, f"waiting to try again: {exc}")
        raise self.retry(countdown=_retry_in(passing, attempts), max_retries=None) from None
    except (SpaceInvoicesError, TenantError) as exc:
        return _settle(item, JobItem.State.FAILED, str(exc))
    except Exception as exc:  # a bug: never leave the item running for ever, say so
        logger.exception("job item %s failed unexpectedly", item.pk)
        return _settle(item, JobItem.State.FAILED, f"unexpected error ({type(exc).__name__})")
    return _settle(item, JobItem.State.DONE, warning or "")


def _settle(item: JobItem, state: str, message: str) -> str:
    JobItem.objects.filter(pk=item.pk).update(
        state=state, message=message[:2000], updated_at=timezone.now()
    )
    return state


def _customers_enqueue(customers, kind: str, label: str, origin: str = "") -> int:
    from .bulk import job_create  # bulk imports this module's task: import late

    chosen = list(customers.filter(offboarding_started_at__isnull=True).order_by("slug"))
    if chosen:
        job_create(kind=kind, label=label, customers=chosen, origin=origin or f"schedule:{kind}")
    return len(chosen)


@shared_task
def members_sync_all() -> int:
    """Nightly: every provisioned customer's members, as one job."""
    customers = Customer.objects.filter(entity_id__isnull=False)
    return _customers_enqueue(customers, "sync_members", "Nightly member sync")


@shared_task
def members_retry_unapplied() -> int:
    """Every few minutes: customers with a team change saved here that Space Invoices has
    not confirmed (an outage, a process killed mid-change), so that a demoted or removed
    member does not keep their rights there until the nightly sync. A change younger than
    ``MEMBERS_RETRY_AFTER`` is left to the request applying it; a customer already queued
    for a member sync is not queued twice, and one whose retry failed (a refusal, or an
    outage that outlasted the item's own retries) waits ``MEMBERS_RETRY_BACKOFF``."""
    now = timezone.now()
    settled_before = now - MEMBERS_RETRY_AFTER
    unapplied = Membership.objects.filter(
        sync_state__in=[SyncState.PENDING, SyncState.REMOVING], updated_at__lt=settled_before
    )
    queued = JobItem.objects.filter(
        job__kind="sync_members", state__in=[JobItem.State.PENDING, JobItem.State.RUNNING]
    )
    failed_lately = JobItem.objects.filter(
        job__origin=MEMBERS_RETRY_ORIGIN,
        state=JobItem.State.FAILED,
        updated_at__gte=now - MEMBERS_RETRY_BACKOFF,
    )
    customers = (
        Customer.objects.filter(entity_id__isnull=False, access_mode=AccessMode.USER)
        .filter(pk__in=unapplied.values("customer_id"))
        .exclude(pk__in=queued.values("customer_id"))
        .exclude(pk__in=failed_lately.values("customer_id"))
    )
    return _customers_enqueue(
        customers, "sync_members", "Retry unconfirmed team changes", MEMBERS_RETRY_ORIGIN
    )


@shared_task
def provisioning_retry_failed() -> int:
    customers = Customer.objects.filter(provisioning_state=ProvisioningState.FAILED)
    return _customers_enqueue(customers, "provision", "Retry failed provisioning")


@shared_task
def details_retry_failed() -> int:
    customers = Customer.objects.filter(
        entity_id__isnull=False, details_state__in=[DetailsState.FAILED, DetailsState.PENDING]
    )
    return _customers_enqueue(customers, "update_details", "Retry failed detail updates")


@shared_task
def launch_events_prune() -> int:
    """Launch audit retention: rows older than PORTAL_LAUNCH_AUDIT_DAYS, in batches."""
    deleted = retention.launch_events_prune(older_than_days=settings.PORTAL_LAUNCH_AUDIT_DAYS)
    logger.info("launch audit retention: %d event(s) deleted", deleted)
    return deleted


@shared_task
def sessions_expired_prune() -> None:
    """Expired sessions go (Django's clearsessions, for the configured store): signed-out
    browsers' rows would otherwise stay in the database for good."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    logger.info("expired sessions deleted")


@shared_task
def jobs_resume() -> int:
    """Queue again the items nobody is working on: left pending by a crash between saving
    a job and queueing it, or running on a worker that died and whose task the broker has
    not handed on. Running one twice does no harm (see above)."""
    stale = timezone.now() - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT + 60)
    ids = list(
        JobItem.objects.filter(
            state__in=[JobItem.State.PENDING, JobItem.State.RUNNING], updated_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for item_id in ids:
        job_item_run.delay(item_id)
    return len(ids)


@shared_task
def drift_report_all() -> int:
    """Nightly: compare every provisioned customer with Space Invoices (reads only)."""
    customers = Customer.objects.filter(entity_id__isnull=False)
    return _customers_enqueue(customers, "check_drift", "Nightly drift report")
