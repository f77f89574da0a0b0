"""Team changes (add, change role, remove): saved here first, then applied in Space Invoices,
and reported as applied only when they are."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from portal.redaction import redact
from spaceinvoices.client import SpaceInvoicesError
from tenants.errors import TenantError
from tenants.locking import CustomerBusy
from tenants.models import Customer, Membership, Role, StaffAction, SyncState, User
from tenants.models.user import email_characters_check

from .audit import Actor, staff_action_record
from .guards import refuse_if_offboarding
from .members import members_sync_if_live
from .onboarding import added_email_send, welcome_email_send


def _push(*, customer: Customer, audit: StaffAction, membership_id: int) -> str:
    """Apply a team change upstream now. '' when nothing stands in the way, else why not: the
    change stays saved and pending, and the next sync applies it. The change's audit row was
    written (as not yet applied) before the call; it is marked applied only after."""
    try:
        report = members_sync_if_live(customer=customer)
    except (SpaceInvoicesError, CustomerBusy, TenantError) as exc:
        problem = str(exc)
    else:
        problem = _not_applied_because(membership_id, report) if report else ""
    if not problem and customer.entity_id:
        StaffAction.objects.filter(pk=audit.pk).update(succeeded=True)
    elif problem:
        StaffAction.objects.filter(pk=audit.pk).update(
            detail=redact(f"{audit.detail} (saved; not confirmed by Space Invoices: {problem})")[
                :2000
            ]
        )
    return problem


def _not_applied_because(membership_id: int, report) -> str:
    """Why this change is not applied upstream after the sync ('' when it is), judged by its
    own membership: another member Space Invoices refused does not hold it back."""
    membership = Membership.objects.filter(pk=membership_id).first()
    if membership is None or membership.is_applied:  # gone: a removal that went through
        return ""
    return membership.last_error or "; ".join(report.errors) or "not applied yet"


def _pending_audit(*, actor: Actor, action: str, customer: Customer, detail: str) -> StaffAction:
    """The audit row of a team change, written before Space Invoices is asked: it says
    "succeeded" only once the change is applied there (or there is nothing to apply)."""
    return staff_action_record(
        actor=actor,
        action=action,
        customer=customer,
        succeeded=not customer.entity_id,
        detail=detail,
    )


def _applied_later(customer: Customer) -> str:
    """What a team change saved without a sync waits for, said in its audit row."""
    if not customer.uses_entity_users:
        return ""  # no users upstream: in effect at once (the key launches for everyone)
    if not customer.entity_id:
        return " (created in Space Invoices when the customer is provisioned)"
    return " (applied in Space Invoices by the next sync)"


def _unknown_role(role: str) -> str:
    return gettext("Unknown role %(role)r; use %(roles)s.") % {"role": role, "roles": Role.listed()}


def membership_add(
    *, customer: Customer, email: str, role: str, actor: Actor, sync: bool = True
) -> Membership:
    """Add a member by email; a new portal user gets a branded email to set a password.
    With ``sync`` off the caller syncs later (outside its transaction). The returned
    membership says whether Space Invoices has it yet (``is_applied``)."""
    if role not in Role.values:
        raise TenantError(_unknown_role(role))
    refuse_if_offboarding(customer)
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        # Every way in (the team page, the admin, an import) refuses what the form would.
        email_characters_check(email)
    except ValidationError as exc:
        raise TenantError(" ".join(exc.messages)) from None
    try:
        membership, audit = _membership_create(
            customer=customer, email=email, role=role, actor=actor, sync=sync
        )
    except IntegrityError:  # the same address added twice at once: one wins
        raise TenantError(
            gettext("%(email)s was just added by someone else; reload the page.") % {"email": email}
        ) from None
    if sync:
        _push(customer=customer, audit=audit, membership_id=membership.pk)
        return _fresh(membership)
    return membership


def _membership_create(*, customer: Customer, email: str, role: str, actor: Actor, sync: bool):
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email)  # no usable password yet
        if not user.is_active:
            # Turned off by the partner: they could not sign in, and Space Invoices would
            # not have them either (a deactivated user is no member upstream).
            raise TenantError(
                gettext(
                    "%(email)s's account is turned off, so they cannot be added: ask support "
                    "to turn it on again first."
                )
                % {"email": email}
            )
        existing = Membership.objects.filter(user=user, customer=customer).first()
        if existing is not None and existing.sync_state == SyncState.REMOVING:
            raise TenantError(
                gettext(
                    "%(email)s is still being removed from this team: add them again once "
                    "invoicing has confirmed the removal."
                )
                % {"email": email}
            )
        if existing is not None:
            raise TenantError(
                gettext("%(email)s is already a member of this team (%(company)s).")
                % {"email": email, "company": customer}
            )
        membership = Membership.objects.create(user=user, customer=customer, role=role)
        if sync:
            audit = _pending_audit(
                actor=actor,
                action=StaffAction.Action.ADD_MEMBER,
                customer=customer,
                detail=f"{email} as {role}",
            )
        else:  # the caller syncs later: this row records the local add, and says so
            staff_action_record(
                actor=actor,
                action=StaffAction.Action.ADD_MEMBER,
                customer=customer,
                detail=f"{email} as {role}{_applied_later(customer)}",
            )
            audit = None
        # A login without a password yet (new, or never set after an earlier welcome)
        # chooses one; someone who signs in already is told where they now belong.
        send = added_email_send if user.has_usable_password() else welcome_email_send
        # Robust: the member is added whatever the mail server says. A failure is logged
        # (they can still choose a password by "Forgot your password?"); raised here it
        # would turn a saved change into an error page, or an import into "nothing
        # imported" after its commit.
        transaction.on_commit(lambda: send(user=user, customer=customer), robust=True)
    return membership, audit


def _refuse_if_last_admin(membership: Membership) -> None:
    """Inside the write's transaction: the other admins are locked, so two admins demoting
    each other at once cannot both succeed."""
    admins = (
        Membership.objects.select_for_update()
        .filter(customer_id=membership.customer_id, role=Role.ADMIN)
        .exclude(sync_state=SyncState.REMOVING)
    )
    # Every admin row is locked, this one included, before the others are counted.
    if not [pk for pk in admins.values_list("pk", flat=True) if pk != membership.pk]:
        raise TenantError(
            gettext("%(email)s is the team's only admin: make someone else admin first.")
            % {"email": membership.user.email}
        )


def membership_role_set(
    *,
    membership: Membership,
    role: str,
    actor: Actor,
    keep_an_admin: bool = False,
    sync: bool = True,
) -> Membership:
    """Change a member's role here, then in Space Invoices. Until that is confirmed the
    membership stays pending, and ``applied_role`` says what they can still do there.
    ``keep_an_admin`` (the customer's own team page) refuses to demote the last admin. With
    ``sync`` off the caller syncs later (outside its transaction), as for ``membership_add``."""
    if role not in Role.values:
        raise TenantError(_unknown_role(role))
    customer = membership.customer
    refuse_if_offboarding(customer)
    with transaction.atomic():
        # Read again under the write: a removal may have started (or ended) since the page.
        current = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if current is None or current.sync_state == SyncState.REMOVING:
            raise TenantError(
                gettext("%(email)s is being removed from this team.")
                % {"email": membership.user.email}
            )
        previous = current.role
        if role == previous and current.is_applied:
            return current
        if keep_an_admin and previous == Role.ADMIN and role != Role.ADMIN:
            _refuse_if_last_admin(current)
        membership.role = role
        if customer.uses_entity_users:
            membership.sync_state = SyncState.PENDING
        membership.save(update_fields=["role", "sync_state", "updated_at"])
        detail = (
            f"{membership.user.email}: {previous} → {role}"
            if role != previous
            else f"{membership.user.email}: {role} again (not confirmed before)"
        )
        if not sync:  # this row records the local change, and says so
            staff_action_record(
                actor=actor,
                action=StaffAction.Action.CHANGE_ROLE,
                customer=customer,
                detail=f"{detail}{_applied_later(customer)}",
            )
            return membership
        audit = _pending_audit(
            actor=actor, action=StaffAction.Action.CHANGE_ROLE, customer=customer, detail=detail
        )
    _push(customer=customer, audit=audit, membership_id=membership.pk)
    return _fresh(membership)


def _fresh(membership: Membership) -> Membership:
    """The membership as stored now; a removal that finished meanwhile is said plainly."""
    try:
        membership.refresh_from_db()
    except Membership.DoesNotExist:
        raise TenantError(
            gettext("%(email)s is no longer a member of this team.")
            % {"email": membership.user.email}
        ) from None
    return membership


def membership_remove(*, membership: Membership, actor: Actor, keep_an_admin: bool = False) -> bool:
    """Remove a member, upstream first. False when the upstream removal is still pending
    (the membership then stays, marked, and the next sync finishes it)."""
    customer = membership.customer
    with transaction.atomic():
        if keep_an_admin and membership.role == Role.ADMIN:
            _refuse_if_last_admin(membership)
        membership.sync_state = SyncState.REMOVING
        membership.save(update_fields=["sync_state", "updated_at"])
        audit = _pending_audit(
            actor=actor,
            action=StaffAction.Action.REMOVE_MEMBER,
            customer=customer,
            detail=membership.user.email,
        )
    if customer.entity_id and _push(customer=customer, audit=audit, membership_id=membership.pk):
        return not Membership.objects.filter(pk=membership.pk).exists()
    Membership.objects.filter(pk=membership.pk).delete()
    return True
