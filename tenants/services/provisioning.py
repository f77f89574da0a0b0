"""Provisioning: a customer becomes an entity with a stored key (and its members, in user mode).

Idempotent and crash-safe: every upstream write carries a request id built from the
customer's UUID and the step, so a re-run replays what already happened instead of doing
it twice; the customer row is locked for the run, so two runs cannot interleave.
"""

import logging

from django.db import transaction
from django.utils import timezone

from spaceinvoices.client import IdempotencyKeyReused, SpaceInvoicesError
from spaceinvoices.factory import account_client
from tenants.models import Customer, ProvisioningState, StaffAction

from .audit import Actor, staff_action_record
from .details import entity_details
from .keys import key_mint, key_store, revoked_keys_delete
from .members import members_sync

logger = logging.getLogger(__name__)
METADATA_KEY = "portal_customer"  # set on every entity we create: how we find it again


def _entity_fields(customer: Customer) -> dict:
    return {
        **entity_details(customer),
        "country": customer.country,
        "metadata": {METADATA_KEY: str(customer.uuid)},
    }


def _entity_find(client, customer: Customer):
    """The entity an earlier run created for this customer, by the UUID it carries."""
    return client.entity_find_by_metadata(key=METADATA_KEY, value=str(customer.uuid))


def _entity_create(customer: Customer) -> str:
    client = account_client()
    if customer.provisioning_state == ProvisioningState.FAILED:
        # A failed run may have created it after all, longer ago than replays are kept.
        found = _entity_find(client, customer)
        if found:
            return found.id
    try:
        entity = client.entity_create(
            **_entity_fields(customer), request_id=customer.request_id("entity")
        )
    except IdempotencyKeyReused:
        # An earlier run created the entity with other details (edited since).
        entity = _entity_find(client, customer)
        if entity is None:
            raise
    return entity.id


def customer_provision(*, customer: Customer, actor: Actor) -> Customer:
    """Create the entity, its key, and (user mode) its users. Safe to re-run at any point.

    Returns the customer; its ``provisioning_state`` says whether it worked and
    ``last_error`` why not.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        step = "create the entity"
        try:
            if not customer.entity_id:
                customer.entity_id = _entity_create(customer)
                customer.environment = account_client().environment or ""
                customer.save(update_fields=["entity_id", "environment", "updated_at"])
            step = "create the entity API key"
            if not customer.api_keys.active().exists():
                created = key_mint(customer=customer)
                key_store(
                    customer=customer,
                    secret=created.secret,
                    prefix_hint=created.prefix_hint,
                    expires_at=created.expires_at,
                )
            step = "delete revoked keys"
            problems = revoked_keys_delete(customer=customer)
            step = "sync members"
            report = members_sync(customer=customer, actor=actor, record=False)
            problems += report.errors
        except SpaceInvoicesError as exc:
            problems = [f"could not {step}: {exc}"]
        if problems:
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
