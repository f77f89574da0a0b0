"""Disabling, enabling, and switching a customer's access mode."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from spaceinvoices.client import SpaceInvoicesError
from spaceinvoices.factory import account_client
from tenants.errors import PartlyApplied, TenantError
from tenants.locking import customer_lock
from tenants.models import AccessMode, Customer, StaffAction, SyncState

from .audit import Actor, staff_action_record
from .guards import refuse_if_offboarding
from .intents import upstream_write
from .members import SyncReport, members_sync


def _set_enabled(customer: Customer, enabled: bool, actor: Actor) -> Customer:
    action = StaffAction.Action.ENABLE if enabled else StaffAction.Action.DISABLE

    def record(_answer=None) -> None:
        customer.is_active = enabled
        customer.disable_unconfirmed_since = None  # Space Invoices has confirmed either way
        customer.save(update_fields=["is_active", "disable_unconfirmed_since", "updated_at"])
        staff_action_record(actor=actor, action=action, customer=customer)

    with customer_lock(customer):
        customer = Customer.objects.get(pk=customer.pk)
        if enabled:
            refuse_if_offboarding(customer)
        if not customer.entity_id:
            with transaction.atomic():
                record()
            return customer
        if not enabled:
            # Launches stop here first, whatever Space Invoices answers: the portal's own
            # gate never waits on an outage (the entity's keys and tokens stop only when
            # Space Invoices has disabled it).
            # Marked unconfirmed at once: a process killed during the call leaves it so.
            Customer.objects.filter(pk=customer.pk).update(
                is_active=False,
                disable_unconfirmed_since=customer.disable_unconfirmed_since or timezone.now(),
            )
        client = account_client()
        change = client.entity_enable if enabled else client.entity_disable
        try:
            upstream_write(
                customer=customer,
                step=f"entity.{'enable' if enabled else 'disable'}",
                call=lambda rid: change(customer.entity_id, request_id=rid),
                record=record,
            )
        except SpaceInvoicesError as exc:
            detail = str(exc) if enabled else f"{_BLOCKED_HERE} ({exc})"
            staff_action_record(
                actor=actor, action=action, customer=customer, succeeded=False, detail=detail
            )
            if enabled:
                raise
            customer.is_active = False
            raise PartlyApplied(
                gettext(
                    "Open invoicing is blocked here, but Space Invoices has not confirmed the "
                    "disabling (%(error)s): until it does, the entity's keys and tokens may "
                    "still work there. Disable again, or reconcile, to finish."
                )
                % {"error": exc}
            ) from exc
    return customer


_BLOCKED_HERE = "launches blocked here; not confirmed disabled at Space Invoices"


def customer_disable(*, customer: Customer, actor: Actor) -> Customer:
    """Block launches here, then disable the entity upstream (its keys and tokens stop);
    PartlyApplied when Space Invoices did not confirm it (launches stay blocked here)."""
    return _set_enabled(customer, False, actor)


def customer_enable(*, customer: Customer, actor: Actor) -> Customer:
    return _set_enabled(customer, True, actor)


def customer_access_mode_set(*, customer: Customer, mode: str, actor: Actor) -> SyncReport | None:
    """Switch between user-based and API-key access.

    To ``api_key``: the entity's users are removed upstream; members keep their portal
    access and launch with the customer's key (admin-level in Space Invoices, so only
    members at or above PORTAL_KEY_MODE_MIN_ROLE may launch). To ``user``: every active
    member is added as a Space Invoices user with their role.

    The switch is committed here first, then Space Invoices follows; run again (the same
    mode), it finishes what an interrupted run left.
    """
    if mode not in AccessMode.values:
        raise TenantError(f"Unknown access mode {mode!r}.")
    with customer_lock(customer):
        customer = Customer.objects.get(pk=customer.pk)
        refuse_if_offboarding(customer)
        if customer.access_mode != mode:
            previous = customer.access_mode
            with transaction.atomic():
                customer.access_mode = mode
                customer.save(update_fields=["access_mode", "updated_at"])
                if mode == AccessMode.USER:
                    customer.memberships.filter(sync_state=SyncState.NOT_APPLICABLE).update(
                        sync_state=SyncState.PENDING
                    )
                staff_action_record(
                    actor=actor,
                    action=StaffAction.Action.SET_ACCESS_MODE,
                    customer=customer,
                    detail=f"{previous} → {mode}",
                )
        if customer.entity_id:
            return members_sync(customer=customer)
    return None
