"""Entity details: a provisioned customer's edits reach its entity at Space Invoices."""

import logging

from django.db import transaction

from spaceinvoices.client import SpaceInvoicesError
from spaceinvoices.factory import account_client
from tenants.locking import customer_lock
from tenants.models import Customer, DetailsState, StaffAction

from .audit import Actor, staff_action_record
from .guards import refuse_unless_ready
from .intents import upstream_write

logger = logging.getLogger(__name__)
# What the entity holds of the customer and the API lets us change; the country never
# changes upstream, so it is read-only here once provisioned.
DETAIL_FIELDS = ("name", "address", "city", "post_code", "tax_number", "is_tax_subject", "locale")
DETAILS_WITH_PROVISIONING = "its details go with provisioning"  # why an update is refused


def entity_details(customer: Customer) -> dict:
    return {name: getattr(customer, name) for name in DETAIL_FIELDS}


def details_differing(customer: Customer, entity) -> list[str]:
    """The detail fields on which the entity differs from the customer (a blank here is
    absent there; the tax status is a yes or no on both sides)."""
    ours = entity_details(customer)

    def same(name: str) -> bool:
        if name == "is_tax_subject":
            return bool(ours[name]) == bool(entity.is_tax_subject)
        return (ours[name] or None) == (getattr(entity, name) or None)

    return [name for name in DETAIL_FIELDS if not same(name)]


def customer_details_update(*, customer: Customer, actor: Actor) -> Customer:
    """Send the customer's details to its entity (PATCH, the same outcome however often it
    runs). Marks the customer in step, or failed with the reason for a retry; audited.
    Raises SpaceInvoicesError when Space Invoices did not take them."""
    with customer_lock(customer):
        customer = Customer.objects.get(pk=customer.pk)
        refuse_unless_ready(customer, why=DETAILS_WITH_PROVISIONING)
        details = entity_details(customer)
        client = account_client()
        try:
            upstream_write(
                customer=customer,
                step="entity.update",
                call=lambda rid: client.entity_update(
                    customer.entity_id, request_id=rid, **details
                ),
                record=lambda _entity: _record(customer, actor, DetailsState.IN_STEP, ""),
            )
        except SpaceInvoicesError as exc:
            _record(customer, actor, DetailsState.FAILED, str(exc))
            raise
    return customer


def _record(customer: Customer, actor: Actor, state: str, error: str) -> None:
    with transaction.atomic():
        customer.details_state, customer.details_error = state, error
        customer.save(update_fields=["details_state", "details_error", "updated_at"])
        _audit(customer, actor, error)
    logger.info("details of %s: %s", customer.slug, state)


def _audit(customer: Customer, actor: Actor, error: str) -> None:
    staff_action_record(
        actor=actor,
        action=StaffAction.Action.UPDATE_DETAILS,
        customer=customer,
        succeeded=not error,
        detail=error or ", ".join(DETAIL_FIELDS),
    )
