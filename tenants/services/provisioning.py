"""Provisioning: a customer becomes an entity with a stored key, a webhook endpoint (and its
members, in user mode).

Crash-safe at every instant (see intents.py): each upstream write is recorded before it is
made and closed when answered; a customer without an entity id is always looked up by the
UUID in its entity's metadata before anything is created; one run at a time per customer
(locking.py). A re-run finishes whatever a failed or killed run began.
"""

import logging

from django.db import transaction
from django.utils import timezone

from spaceinvoices.client import Entity, SpaceInvoicesError
from spaceinvoices.factory import account_client
from tenants.countries import country_find
from tenants.locking import customer_lock
from tenants.models import (
    Customer,
    DetailsState,
    ProvisioningState,
    StaffAction,
    UpstreamIntent,
)

from .audit import Actor, staff_action_record
from .details import customer_details_update, details_differing, entity_details
from .guards import refuse_if_offboarding
from .intents import upstream_write
from .keys import key_create, revoked_keys_delete
from .members import members_sync
from .webhooks import webhook_endpoint_ensure

logger = logging.getLogger(__name__)
METADATA_KEY = "portal_customer"  # set on every entity we create: how we find it again
ENTITY_CREATE = "entity.create"


def _entity_fields(customer: Customer) -> dict:
    found = country_find(customer.country)
    return {
        **entity_details(customer),
        "country": customer.country,
        # Sent, not left to Space Invoices to derive from the name: it never changes.
        "country_code": found[0] if found else None,
        "metadata": {METADATA_KEY: str(customer.uuid)},
    }


def _entity_record(customer: Customer, entity: Entity, environment: str | None) -> None:
    customer.entity_id = entity.id
    customer.environment = environment or ""
    customer.save(update_fields=["entity_id", "environment", "updated_at"])


def _entity_ensure(customer: Customer) -> None:
    """Find the entity an earlier run created (whatever state it left the customer in), or
    create it; either way the customer ends with its entity id committed."""
    client = account_client()
    found = client.entity_find_by_metadata(key=METADATA_KEY, value=str(customer.uuid))
    if found:
        with transaction.atomic():
            _entity_record(customer, found, client.environment)
            if details_differing(customer, found):
                # Made by an earlier run; the details were edited since: send them.
                customer.details_state = DetailsState.PENDING
                customer.save(update_fields=["details_state"])
            # A create whose answer was lost did happen: that question is settled.
            UpstreamIntent.objects.filter(
                customer=customer, step=ENTITY_CREATE, outcome=UpstreamIntent.Outcome.OPEN
            ).update(outcome=UpstreamIntent.Outcome.DONE, answered_at=timezone.now())
        return
    upstream_write(
        customer=customer,
        step=ENTITY_CREATE,
        call=lambda rid: client.entity_create(**_entity_fields(customer), request_id=rid),
        record=lambda entity: _entity_record(customer, entity, client.environment),
    )


def customer_provision(*, customer: Customer, actor: Actor) -> Customer:
    """Create the entity, its key, and (user mode) its users. Safe to re-run at any point.

    Returns the customer; its ``provisioning_state`` says whether it is set up and
    ``last_error`` what went wrong this time (a customer set up before stays so).
    """
    with customer_lock(customer):
        customer = Customer.objects.get(pk=customer.pk)
        refuse_if_offboarding(customer)
        was_provisioned = customer.is_provisioned
        step = "create the entity"
        try:
            if not customer.entity_id:
                _entity_ensure(customer)
            step = "update the entity's details"
            if customer.details_state != DetailsState.IN_STEP:
                customer = customer_details_update(customer=customer, actor=actor)
            step = "create the entity API key"
            if not customer.api_keys.active().exists():
                key_create(customer=customer, actor=actor, action=None)  # audited below
            step = "delete revoked keys"
            # A key left upstream (unreadable here) is shown on its row, never a blocker.
            problems = revoked_keys_delete(customer=customer).errors
            step = "register the webhook endpoint"
            problems += webhook_endpoint_ensure(customer=customer)
            step = "sync members"
            report = members_sync(customer=customer)
            problems += report.errors
        except SpaceInvoicesError as exc:
            problems = [f"could not {step}: {exc}"]
        with transaction.atomic():
            if problems:
                # A customer that works stays working: a re-run's problem (an outage, a
                # member Space Invoices refused) is reported, never a reason to refuse
                # every member's launch as "still being set up".
                if not was_provisioned:
                    customer.provisioning_state = ProvisioningState.FAILED
                customer.last_error = "; ".join(problems)
            else:
                customer.provisioning_state = ProvisioningState.PROVISIONED
                customer.last_error = ""
                customer.provisioned_at = customer.provisioned_at or timezone.now()
            customer.save(
                update_fields=["provisioning_state", "last_error", "provisioned_at", "updated_at"]
            )
            staff_action_record(
                actor=actor,
                action=StaffAction.Action.PROVISION,
                customer=customer,
                succeeded=not problems,
                detail=customer.last_error or f"entity {customer.entity_id}",
            )
    logger.info("provision %s: %s", customer.slug, customer.provisioning_state)
    return customer
