"""Entity API keys: mint and store, rotate without downtime, attach an existing key."""

from dataclasses import dataclass, field
from datetime import UTC

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from spaceinvoices.client import CreatedApiKey, NotFound, SpaceInvoicesError, Unauthorized
from spaceinvoices.contract import is_entity_key, key_environment, key_prefix_hint
from spaceinvoices.factory import account_client
from tenants.encryption import DecryptionError
from tenants.errors import KeyRejected
from tenants.locking import customer_lock
from tenants.models import Customer, EntityApiKey, ProvisioningState, StaffAction

from .audit import Actor, staff_action_record
from .guards import refuse_if_offboarding, refuse_unless_ready
from .intents import upstream_write

KEY_NAME = "portal"  # one fixed body, so that a re-sent request id replays


def key_create(*, customer: Customer, actor: Actor, action: str | None) -> CreatedApiKey:
    """Create the customer's next key upstream and make it the one active key, in the same
    transaction that closes the intent and (with ``action``) audits it. Killed before that,
    a re-run sends the same request id and Space Invoices replays the same key."""
    client = account_client()

    def record(created: CreatedApiKey) -> None:
        key_store(
            customer=customer,
            secret=created.secret,
            prefix_hint=created.prefix_hint,
            expires_at=created.expires_at,
        )
        if action:
            staff_action_record(
                actor=actor, action=action, customer=customer, detail=f"now {created.prefix_hint}"
            )

    return upstream_write(
        customer=customer,
        step="key.create",
        call=lambda rid: client.api_key_create(customer.entity_id, name=KEY_NAME, request_id=rid),
        record=record,
    )


def key_store(*, customer: Customer, secret: str, prefix_hint: str, expires_at=None) -> None:
    """Swap a key in as the one active key, in one transaction (old ones revoked)."""
    with transaction.atomic():
        customer.api_keys.active().update(revoked_at=timezone.now())
        EntityApiKey.objects.create(
            customer=customer,
            key=secret,
            prefix_hint=prefix_hint,
            expires_at=expires_at,
            name="portal",
        )
        if customer.key_rejected_at:
            customer.key_rejected_at = None
            customer.save(update_fields=["key_rejected_at", "updated_at"])


@dataclass
class KeyDeletion:
    """What deleting the revoked keys upstream left: ``errors`` a re-run may clear (Space
    Invoices unavailable), ``left_upstream`` keys no re-run can delete (unreadable here)."""

    errors: list[str] = field(default_factory=list)
    left_upstream: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return self.left_upstream + self.errors


def revoked_keys_delete(*, customer: Customer) -> KeyDeletion:
    """Delete upstream every revoked key not yet deleted.

    Runs only after the new key is committed as active, so launches keep working whatever
    instant this is interrupted at; a re-run deletes what is left."""
    client, report = account_client(), KeyDeletion()
    for old in customer.api_keys.awaiting_upstream_deletion().defer("key"):
        try:
            secret = old.key
        except DecryptionError:
            report.left_upstream.append(
                f"old key {old.prefix_hint} cannot be decrypted (encryption key lost?), so it "
                "may remain at Space Invoices; delete it in the Space Invoices dashboard"
            )
            continue

        def deleted(_answer, old=old) -> None:
            old.upstream_deleted_at = timezone.now()
            old.save(update_fields=["upstream_deleted_at"])

        try:
            upstream_write(
                customer=customer,
                step=f"key.delete:{old.pk}",
                call=lambda rid, secret=secret: client.api_key_delete(
                    customer.entity_id, secret, request_id=rid
                ),
                record=deleted,
            )
        except NotFound:
            deleted(None)  # already gone upstream: that is the goal
        except SpaceInvoicesError as exc:
            report.errors.append(f"old key {old.prefix_hint} not deleted yet: {exc}")
    return report


def entity_key_rotate(*, customer: Customer, actor: Actor) -> list[str]:
    """New key in (committed as active), then old keys out upstream. Returns warnings (an
    old key not deleted yet); raises SpaceInvoicesError when no new key could be made
    (nothing changed then)."""
    with customer_lock(customer):
        customer = Customer.objects.get(pk=customer.pk)
        refuse_unless_ready(customer)
        try:
            key_create(customer=customer, actor=actor, action=StaffAction.Action.ROTATE_KEY)
        except SpaceInvoicesError as exc:
            staff_action_record(
                actor=actor,
                action=StaffAction.Action.ROTATE_KEY,
                customer=customer,
                succeeded=False,
                detail=str(exc),
            )
            raise
        return revoked_keys_delete(customer=customer).warnings


@sensitive_variables("key")
def entity_key_verify(*, entity_id: str, key: str) -> None:
    """Raise KeyRejected unless Space Invoices accepts ``key`` for ``entity_id``."""
    if not is_entity_key(key):
        raise KeyRejected("That is not an entity API key (ek_live_… or ek_sandbox_…).")
    client = account_client()
    if key_environment(key) != client.environment:
        raise KeyRejected(
            f"That is a {key_environment(key)} key; this portal's account is {client.environment}."
        )
    try:
        listed = client.with_key(key).api_keys_list(entity_id)
    except Unauthorized:
        raise KeyRejected("Space Invoices does not accept that key.") from None
    except NotFound:
        raise KeyRejected("That key does not belong to this entity.", about_entity=True) from None
    # Keys are listed masked: the key is among those with its hint. Only when every one of
    # them expires is it known to expire (a lasting key of the same hint may be the one).
    expiries = [k.expires_at for k in listed if k.prefix_hint == key_prefix_hint(key)]
    if expiries and all(expiries):
        raise KeyRejected(
            f"That key expires ({min(expiries).astimezone(UTC):%Y-%m-%d %H:%M} UTC), and the "
            "portal keeps its key for good: attach one made without an expiry, or rotate to "
            "have one made."
        )


def _active_key_is(customer: Customer, key: str) -> bool:
    active = customer.api_keys.active().defer("key").first()  # decrypted below, guarded
    try:
        return bool(active) and active.key == key
    except DecryptionError:
        return False  # an unreadable key is the very one an attached key replaces


@sensitive_variables("key")
def entity_key_attach(
    *, customer: Customer, key: str, actor: Actor, entity_id: str = ""
) -> list[str]:
    """Attach a key made elsewhere (replace-only): verified upstream before it is stored.
    The key it replaces is revoked and deleted upstream, as in a rotation. Returns warnings
    (a replaced key not deleted upstream yet), as a rotation does."""
    entity_id = customer.entity_id or entity_id.strip()
    if not entity_id:
        raise KeyRejected("Give the entity id the key belongs to.", about_entity=True)
    owner = Customer.objects.filter(entity_id=entity_id).exclude(pk=customer.pk).first()
    if owner:
        raise KeyRejected(
            f"Entity {entity_id} already belongs to customer {owner}.", about_entity=True
        )
    entity_key_verify(entity_id=entity_id, key=key)
    with customer_lock(customer):
        current = Customer.objects.get(pk=customer.pk)
        refuse_if_offboarding(current)
        if current.entity_id and current.entity_id != entity_id:
            # Provisioned meanwhile: the key was checked for another entity than its own.
            raise KeyRejected(
                f"{current} now has entity {current.entity_id} (provisioned meanwhile); "
                "reload the page and attach a key of that entity.",
                about_entity=True,
            )
        if _active_key_is(customer, key):
            return []  # already the active key: nothing to replace
        if _retiring_key_is(customer, key):
            # Stored again, the deletion still owed for its old row would delete it upstream.
            raise KeyRejected(
                "That key was replaced here and is waiting to be deleted at Space Invoices: "
                "attach a new key, or rotate."
            )
        hint = key_prefix_hint(key)
        try:
            _attached_store(customer, key, hint, entity_id, actor)
        except IntegrityError:  # another customer took the entity at the same instant
            raise KeyRejected(
                f"Entity {entity_id} was just attached to another customer.", about_entity=True
            ) from None
        warnings = revoked_keys_delete(customer=customer).warnings
    if warnings:
        staff_action_record(
            actor=actor,
            action=StaffAction.Action.ATTACH_KEY,
            customer=customer,
            succeeded=False,
            detail="; ".join(warnings),
        )
    return warnings


def _retiring_key_is(customer: Customer, key: str) -> bool:
    for row in customer.api_keys.awaiting_upstream_deletion().defer("key"):
        try:
            if row.key == key:
                return True
        except DecryptionError:
            continue  # an unreadable row is never this readable key
    return False


def _attached_store(customer: Customer, key: str, hint: str, entity_id: str, actor: Actor):
    """The attached key as the one active key, in one transaction (the customer provisioned
    by it when its entity was made elsewhere)."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if not customer.entity_id:
            # A customer whose entity was made elsewhere: the key makes it provisioned.
            customer.entity_id = entity_id
            customer.environment = key_environment(key)
            customer.provisioning_state = ProvisioningState.PROVISIONED
            customer.provisioned_at = timezone.now()
            customer.last_error = ""
            customer.save()
        key_store(customer=customer, secret=key, prefix_hint=hint)
        staff_action_record(
            actor=actor,
            action=StaffAction.Action.ATTACH_KEY,
            customer=customer,
            detail=f"now {hint}",
        )
