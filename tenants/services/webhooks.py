"""Webhook endpoints: register one per entity, pointing at the portal; rotate its secret.

There is no documented secret rotation: a rotation registers a new endpoint (its secret
committed as active first), then deletes the old one upstream. Crash-safe like the keys
(intents.py). Unlike a key, an endpoint whose creation answer was lost can be found again:
endpoints are listed with their URL, so any endpoint at our URL that this portal does not
know is deleted (its secret was never seen, so its deliveries could never be verified).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from spaceinvoices.client import NotFound, SpaceInvoicesError
from spaceinvoices.contract import WEBHOOK_EVENTS
from spaceinvoices.factory import account_client
from tenants.locking import customer_lock
from tenants.models import Customer, StaffAction, WebhookEndpoint

from .audit import Actor, staff_action_record
from .guards import refuse_unless_ready
from .intents import upstream_write

# Where Space Invoices delivers, below PORTAL_BASE_URL; the receiver's URL is mounted here.
RECEIVER_PATH = "/webhooks/spaceinvoices/"
DESCRIPTION = "partner portal"  # one fixed body, so that a re-sent request id replays


def receiver_url() -> str:
    return settings.PORTAL_BASE_URL + RECEIVER_PATH


@dataclass
class EndpointCleanup:
    """Endpoints a re-run may still delete upstream (Space Invoices was unavailable)."""

    errors: list[str] = field(default_factory=list)


def _endpoint_create(customer: Customer, *, actor: Actor, action: str | None) -> WebhookEndpoint:
    """Register a new endpoint and make it the active one (retiring the previous), in the
    transaction that closes the intent. Killed before that, a re-run sends the same
    request id and Space Invoices replays the same endpoint and secret."""
    client, url = account_client(), receiver_url()
    made: list[WebhookEndpoint] = []

    def record(created) -> None:
        customer.webhook_endpoints.active().update(retired_at=timezone.now())
        made.append(
            WebhookEndpoint.objects.create(
                customer=customer, endpoint_id=created.id, url=created.url or url,
                secret=created.secret, registered_at=created.created_at or timezone.now(),
            )
        )  # fmt: skip
        if action:
            staff_action_record(
                actor=actor, action=action, customer=customer, detail=f"now {created.id}"
            )

    upstream_write(
        customer=customer,
        step="webhook.create",
        call=lambda rid: client.webhook_create(
            customer.entity_id,
            url=url,
            events=WEBHOOK_EVENTS,
            description=DESCRIPTION,
            request_id=rid,
        ),
        record=record,
    )
    return made[0]


def _upstream_delete(customer: Customer, endpoint_id: str, step: str, done) -> str | None:
    """Delete one endpoint upstream (gone already counts as done); the error, if any."""
    client = account_client()
    try:
        upstream_write(
            customer=customer,
            step=step,
            call=lambda rid: client.webhook_delete(customer.entity_id, endpoint_id, request_id=rid),
            record=done,
        )
    except NotFound:
        done(None)
    except SpaceInvoicesError as exc:
        return f"webhook endpoint {endpoint_id} not deleted yet: {exc}"
    return None


def endpoints_cleanup(*, customer: Customer) -> EndpointCleanup:
    """Delete upstream every retired endpoint, and every endpoint at our URL this portal
    does not know (made by a run whose answer was lost after the replay window)."""
    report = EndpointCleanup()
    for old in customer.webhook_endpoints.awaiting_upstream_deletion().defer("secret"):

        def deleted(_answer, old=old) -> None:
            old.upstream_deleted_at = timezone.now()
            old.save(update_fields=["upstream_deleted_at"])

        error = _upstream_delete(customer, old.endpoint_id, f"webhook.delete:{old.pk}", deleted)
        report.errors += [error] if error else []
    known = set(customer.webhook_endpoints.values_list("endpoint_id", flat=True))
    url = receiver_url()
    try:
        listed_all = account_client().webhooks_list(customer.entity_id)
    except SpaceInvoicesError as exc:
        report.errors.append(f"could not look for stray webhook endpoints: {exc}")
        return report
    for listed in listed_all:
        if listed.url == url and listed.id not in known:
            step = f"webhook.delete:{listed.id}"
            error = _upstream_delete(customer, listed.id, step, lambda _answer: None)
            report.errors += [error] if error else []
    return report


def webhook_endpoint_ensure(*, customer: Customer) -> list[str]:
    """Provisioning's step (under its lock): an active endpoint, and no stray one. Raises
    SpaceInvoicesError when none could be registered; returns what is left to delete."""
    if not customer.webhook_endpoints.active().exists():
        _endpoint_create(customer, actor=None, action=None)
    return endpoints_cleanup(customer=customer).errors


def _refuse_unless_ready(customer: Customer) -> Customer:
    customer = Customer.objects.get(pk=customer.pk)
    refuse_unless_ready(customer)
    return customer


def webhook_endpoint_register(*, customer: Customer, actor: Actor) -> list[str]:
    """For customers provisioned before webhooks: register one unless it exists. Returns
    warnings (an endpoint left to delete upstream)."""
    with customer_lock(customer):
        customer = _refuse_unless_ready(customer)
        had = customer.webhook_endpoints.active().first()
        try:
            warnings = webhook_endpoint_ensure(customer=customer)
        except SpaceInvoicesError as exc:
            staff_action_record(
                actor=actor, action=StaffAction.Action.REGISTER_WEBHOOK, customer=customer,
                succeeded=False, detail=str(exc),
            )  # fmt: skip
            raise
        active = customer.webhook_endpoints.active().get()
        detail = f"already {active.endpoint_id}" if had else f"now {active.endpoint_id}"
        with transaction.atomic():
            staff_action_record(
                actor=actor, action=StaffAction.Action.REGISTER_WEBHOOK, customer=customer,
                detail="; ".join([detail, *warnings]),
            )  # fmt: skip
        return warnings


def webhook_endpoint_rotate(*, customer: Customer, actor: Actor) -> list[str]:
    """New endpoint in (its secret committed as active), then the old one out upstream.
    Returns warnings; raises SpaceInvoicesError when no new endpoint could be made."""
    with customer_lock(customer):
        customer = _refuse_unless_ready(customer)
        try:
            _endpoint_create(customer, actor=actor, action=StaffAction.Action.ROTATE_WEBHOOK)
        except SpaceInvoicesError as exc:
            staff_action_record(
                actor=actor, action=StaffAction.Action.ROTATE_WEBHOOK, customer=customer,
                succeeded=False, detail=str(exc),
            )  # fmt: skip
            raise
        return endpoints_cleanup(customer=customer).errors
