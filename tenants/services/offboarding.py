"""Offboarding: a customer leaves; Space Invoices keeps its entity, disabled, and nothing else.

In this order: its users are removed upstream, its keys and webhook endpoints deleted
upstream, its entity disabled; then its memberships end here and the customer stays as an
archived record with its audit. Each step is an upstream write that survives a killed
process (intents), and a re-run continues where a failed or killed run stopped. From the
first step on, launches are refused.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from spaceinvoices.client import SpaceInvoicesError
from tenants.errors import PartlyApplied, TenantError
from tenants.locking import customer_lock
from tenants.models import Customer, Membership, StaffAction

from .access import customer_disable
from .audit import Actor, staff_action_record
from .keys import revoked_keys_delete
from .members import members_sync, users_deactivate
from .webhooks import endpoints_cleanup


class OffboardingIncomplete(TenantError):
    """A step failed; what was done is kept, and running offboarding again continues."""


@dataclass
class OffboardingReport:
    customer: str
    done: list[str] = field(default_factory=list)
    left_upstream: list[str] = field(default_factory=list)


def customer_offboard(*, customer: Customer, actor: Actor) -> OffboardingReport:
    """Offboard ``customer``; raises OffboardingIncomplete (saying what is done and what is
    not) when Space Invoices refuses or is unavailable, leaving a re-runnable state."""
    report = OffboardingReport(customer=customer.slug)
    with customer_lock(customer):
        customer = Customer.objects.get(pk=customer.pk)
        if customer.offboarded_at:
            report.done.append("already offboarded")
            return report
        if not customer.offboarding_started_at:
            # Committed first: from here on launches are refused and no sync re-adds users.
            with transaction.atomic():
                customer.offboarding_started_at = timezone.now()
                customer.save(update_fields=["offboarding_started_at", "updated_at"])
        if customer.entity_id:
            _upstream_clear(customer, actor, report)
        _local_end(customer, actor, report)
    return report


def _incomplete(customer, actor, report, problem: str) -> OffboardingIncomplete:
    done = "; ".join(report.done) or "nothing yet"
    message = f"Offboarding {customer} stopped: {problem}. Done so far: {done}. Run it again."
    staff_action_record(
        actor=actor,
        action=StaffAction.Action.OFFBOARD,
        customer=customer,
        succeeded=False,
        detail=message,
    )
    return OffboardingIncomplete(message)


def _upstream_clear(customer: Customer, actor: Actor, report: OffboardingReport) -> None:
    try:
        sync = members_sync(customer=customer)
    except SpaceInvoicesError as exc:
        raise _incomplete(customer, actor, report, f"users not removed: {exc}") from None
    if sync.errors:
        raise _incomplete(customer, actor, report, "users not removed: " + "; ".join(sync.errors))
    report.done.append("users removed at Space Invoices")
    with transaction.atomic():
        customer.api_keys.active().update(revoked_at=timezone.now())
    keys = revoked_keys_delete(customer=customer)
    if keys.errors:
        raise _incomplete(customer, actor, report, "keys not deleted: " + "; ".join(keys.errors))
    report.left_upstream += keys.left_upstream
    # "Deleted" only when none was left there (one this portal can no longer read is).
    report.done.append(
        "other keys deleted at Space Invoices" if keys.left_upstream else
        "keys deleted at Space Invoices"
    )  # fmt: skip
    with transaction.atomic():
        customer.webhook_endpoints.active().update(retired_at=timezone.now())
    hooks = endpoints_cleanup(customer=customer).errors  # refusals are reported, not raised
    if hooks:
        raise _incomplete(customer, actor, report, "webhooks not deleted: " + "; ".join(hooks))
    report.done.append("webhook endpoints deleted at Space Invoices")
    # Even when disabled here: a Disable that Space Invoices never confirmed blocked the
    # launches here all the same, so the flag does not say the entity is disabled there.
    try:
        customer_disable(customer=customer, actor=actor)
    except PartlyApplied as exc:
        raise _incomplete(
            customer, actor, report, f"entity not disabled: {exc.__cause__}"
        ) from None
    except SpaceInvoicesError as exc:
        raise _incomplete(customer, actor, report, f"entity not disabled: {exc}") from None
    report.done.append("entity disabled at Space Invoices")


def _local_end(customer: Customer, actor: Actor, report: OffboardingReport) -> None:
    with transaction.atomic():
        memberships = list(customer.memberships.select_related("user"))
        users = [m.user for m in memberships]
        Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
        # A person keeps their portal login while another customer still has them.
        left = [
            u for u in users if not u.is_staff and not Membership.objects.filter(user=u).exists()
        ]
        users_deactivate(user_ids=[u.pk for u in left])  # reactivated, they sign in anew
        # Nothing is compared for a customer that left: what was found no longer applies.
        customer.drift_findings.all().delete()
        Customer.objects.filter(pk=customer.pk).update(
            is_active=False, offboarded_at=timezone.now(), updated_at=timezone.now()
        )
        report.done.append(
            f"{len(memberships)} membership(s) ended, {len(left)} portal login(s) closed"
        )
        staff_action_record(
            actor=actor,
            action=StaffAction.Action.OFFBOARD,
            customer=customer,
            detail="; ".join(report.done + report.left_upstream)
            + (f"; members were: {', '.join(u.email for u in users)}" if users else ""),
        )
