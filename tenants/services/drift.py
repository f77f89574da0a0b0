"""The drift report: where a customer and its entity at Space Invoices disagree, and
reconciling them (the portal is the source of truth for members and details).

Checked: the entity exists and is enabled as the portal thinks; its details match; the
active key works, and the entity holds no lasting key the portal did not make; its users
and roles match the members (users added in Space Invoices' own dashboard included); its
webhook endpoint exists and is active. Reconciling sends the details, enables or disables
the entity, rotates a key Space Invoices refuses, syncs the members, and registers a new
webhook endpoint where it is missing or was disabled. A missing entity, a key this portal
cannot read, or a key it did not make, is reported only: re-creating or deleting one is
staff's call.
"""

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from spaceinvoices.client import Forbidden, NotFound, Unauthorized
from spaceinvoices.factory import account_client, launch_key_issued
from tenants.encryption import DecryptionError
from tenants.errors import NotProvisioned
from tenants.models import Customer, DriftFinding, EntityApiKey, StaffAction, WebhookEndpoint

from .access import customer_disable, customer_enable
from .audit import Actor, staff_action_record
from .details import customer_details_update, details_differing
from .guards import refuse_if_offboarding
from .keys import entity_key_rotate
from .members import members_sync
from .webhooks import receiver_url, webhook_endpoint_register, webhook_endpoint_rotate

Kind = DriftFinding.Kind


def _entity_findings(customer: Customer, entity) -> list[DriftFinding]:
    found = []
    if entity.is_enabled != customer.is_active:
        there = "enabled" if entity.is_enabled else "disabled"
        here = "active" if customer.is_active else "disabled"
        found.append(
            DriftFinding(
                kind=Kind.ENTITY_ENABLED,
                detail=f"{there} at Space Invoices, {here} here",
                fixable=True,
            )
        )
    if differing := details_differing(customer, entity):
        found.append(
            DriftFinding(kind=Kind.DETAILS, detail=", ".join(differing) + " differ", fixable=True)
        )
    return found


def _key_findings(customer: Customer, client) -> list[DriftFinding]:
    # Deferred, then read guarded: a key that cannot be decrypted is a finding, not a crash.
    row = EntityApiKey.objects.active().filter(customer=customer).defer("key").first()
    try:
        key = row.key if row else None
    except DecryptionError:
        key = None
    if key is None:
        why = "cannot be decrypted" if row else "is missing"
        detail = f"the active key {why} here: rotate or attach one"
        return [DriftFinding(kind=Kind.KEY_UNREADABLE, detail=detail, fixable=False)]
    try:
        listed = client.with_key(key).api_keys_list(customer.entity_id)
    except (Unauthorized, Forbidden, NotFound):
        detail = f"Space Invoices refuses the active key {row.prefix_hint}"
        return [DriftFinding(kind=Kind.KEY_REFUSED, detail=detail, fixable=True)]
    return _unknown_key_findings(customer, listed)


def _unknown_key_findings(customer: Customer, listed) -> list[DriftFinding]:
    """Unexpired keys at Space Invoices that are neither the portal's own nor a launch's.

    Why: a key-mode launch hands the browser a short-lived entity key, and an entity key
    may make keys of its own (the contract), so whoever launched could have made one that
    never expires, or a chain of short ones: no rotation here revokes them. A launch's key
    is told by its tagged name (``launch_key_issued``): one of a kind, and ending within a
    launch's lifetime of the time the name gives. A copy of a launch's name made after its
    key was deleted passes until then: such a chain needs a fresh launch (a member's) each
    time. A key the partner made by hand shows too; deleting one is staff's call (the
    portal never holds it: only its hint is listed). A hint is six hex digits: a key made
    to share the hint of one the portal holds would pass, after millions of tries."""
    # Keys the portal still holds upstream: a hint of one it deleted there proves nothing.
    held = customer.api_keys.filter(upstream_deleted_at__isnull=True)
    known = set(held.values_list("prefix_hint", flat=True))
    now = timezone.now()
    live = [k for k in listed if k.expires_at is None or k.expires_at > now]
    names = Counter(k.name for k in live)
    # A minute more than a launch's lifetime, for the clocks' skew.
    lifetime = settings.SPACEINVOICES_LAUNCH_TTL + 60

    def made_by_a_launch(key) -> bool:
        issued = launch_key_issued(key.name, customer.entity_id)
        return (
            issued is not None
            and names[key.name] == 1
            and key.expires_at is not None
            and key.expires_at.timestamp() <= issued + lifetime
        )

    unknown = [k for k in live if k.prefix_hint not in known and not made_by_a_launch(k)]
    if not unknown:
        return []
    detail = (
        f"Space Invoices holds {len(unknown)} key(s) this portal did not make: "
        + ", ".join(map(_key_described, unknown))
        + "; delete them there unless the partner made them (rotating here does not)"
    )
    return [DriftFinding(kind=Kind.KEY_UNKNOWN, detail=detail, fixable=False)]


def _key_described(key) -> str:
    # Never its name: whoever made the key chose it, and could have written a key's value
    # (or a line of their own) into it in any spelling no mask would catch. The hint and
    # the expiry find the key at Space Invoices.
    lasting = f"expires {key.expires_at:%Y-%m-%d %H:%M}" if key.expires_at else "never expires"
    return f"{key.prefix_hint} ({lasting})"


def _webhook_findings(customer: Customer, client) -> list[DriftFinding]:
    active = WebhookEndpoint.objects.active().filter(customer=customer).defer("secret").first()
    if active is None:
        detail = "no webhook endpoint is registered: activity and usage are not reported"
        return [DriftFinding(kind=Kind.WEBHOOK, detail=detail, fixable=True)]
    listed = {e.id: e for e in client.webhooks_list(customer.entity_id)}
    there = listed.get(active.endpoint_id)
    if there is None:
        detail = f"webhook endpoint {active.endpoint_id} is not at Space Invoices"
    elif not there.active:
        detail = f"Space Invoices disabled webhook endpoint {active.endpoint_id}"
    elif there.url and there.url != receiver_url():
        # PORTAL_BASE_URL changed since (a new domain): deliveries go where nobody listens.
        detail = (
            f"webhook endpoint {active.endpoint_id} delivers to {there.url}, "
            f"not to {receiver_url()}"
        )
    else:
        return []
    return [DriftFinding(kind=Kind.WEBHOOK, detail=detail, fixable=True)]


def _user_findings(customer: Customer) -> list[DriftFinding]:
    changes = members_sync(customer=customer, dry_run=True).changes
    if not changes:
        return []
    return [DriftFinding(kind=Kind.USERS, detail="to do: " + "; ".join(changes), fixable=True)]


def customer_drift_check(*, customer: Customer) -> list[DriftFinding]:
    """Compare (reads only) and keep what was found as the customer's findings. A customer
    without an entity, or leaving, has nothing to compare: refused, its findings kept."""
    customer = Customer.objects.get(pk=customer.pk)
    refuse_if_offboarding(customer)
    if not customer.entity_id:
        raise NotProvisioned(f"{customer} is not provisioned: nothing to compare yet.")
    client = account_client()
    try:
        entity = client.entity_get(customer.entity_id)
    except NotFound:
        gone = f"entity {customer.entity_id} is not at Space Invoices (deleted there?)"
        found = [DriftFinding(kind=Kind.ENTITY_MISSING, detail=gone, fixable=False)]
    else:
        found = _entity_findings(customer, entity)
        if not entity.is_enabled and customer.disable_unconfirmed_since:
            # Seen disabled there: the Disable whose answer never came is confirmed now.
            # Only the mark this check read: a Disable started since keeps its own.
            Customer.objects.filter(
                pk=customer.pk,
                is_active=False,
                disable_unconfirmed_since=customer.disable_unconfirmed_since,
            ).update(disable_unconfirmed_since=None)
        if entity.is_enabled:  # a disabled entity refuses every key: nothing to learn
            found += _key_findings(customer, client)
        found += _user_findings(customer)
        found += _webhook_findings(customer, client)
    with transaction.atomic():
        customer.drift_findings.all().delete()
        for finding in found:
            finding.customer = customer
        DriftFinding.objects.bulk_create(found)
        Customer.objects.filter(pk=customer.pk).update(drift_checked_at=timezone.now())
    return found


def customer_drift_apply(*, customer: Customer, actor: Actor) -> list[DriftFinding]:
    """Put right what a fresh check finds fixable, check again, and audit both; returns
    what is left (unfixable findings, or what Space Invoices refused)."""
    before = customer_drift_check(customer=customer)
    kinds = {f.kind for f in before if f.fixable}
    # As stored now, never as the caller loaded it: a Disable since must not be undone.
    customer = Customer.objects.get(pk=customer.pk)
    if Kind.ENTITY_ENABLED in kinds:
        (customer_enable if customer.is_active else customer_disable)(
            customer=customer, actor=actor
        )
    if Kind.DETAILS in kinds:
        customer_details_update(customer=customer, actor=actor)
    if Kind.KEY_REFUSED in kinds:
        entity_key_rotate(customer=customer, actor=actor)
    if Kind.USERS in kinds:
        members_sync(customer=customer, actor=actor)
    if Kind.WEBHOOK in kinds:
        # A missing or disabled endpoint is replaced: a new one, the old one deleted.
        has_one = WebhookEndpoint.objects.active().filter(customer=customer).exists()
        (webhook_endpoint_rotate if has_one else webhook_endpoint_register)(
            customer=customer, actor=actor
        )
    left = customer_drift_check(customer=customer)
    fixed = sorted(DriftFinding.Kind(k).label for k in kinds - {f.kind for f in left})
    staff_action_record(
        actor=actor,
        action=StaffAction.Action.RECONCILE,
        customer=customer,
        succeeded=not left,
        detail=(
            f"put right: {', '.join(fixed) or 'nothing'}; "
            f"left: {'; '.join(f.detail for f in left) or 'nothing'}"
        ),
    )
    return left
