"""Members: keep a customer's memberships and the entity's users in step.

User mode: every active member is a white-label Space Invoices user with the member's
role (added with ``send_invite: false``, so no Space Invoices email reaches the partner's
customers). API-key mode: the entity has no users. Every change to a membership goes
through here, never through cascades or signals that a bulk delete would skip.
"""

import contextlib
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from spaceinvoices.client import (
    Conflict,
    EntityUser,
    Invitation,
    NotFound,
    SpaceInvoicesError,
    Unavailable,
)
from spaceinvoices.factory import account_client
from tenants.errors import NotProvisioned, TenantError
from tenants.locking import customer_lock
from tenants.models import (
    Customer,
    Membership,
    Role,
    StaffAction,
    SyncState,
    User,
    UserSession,
)

from .audit import Actor, staff_action_record
from .guards import refuse_if_offboarding
from .intents import upstream_write


@dataclass
class SyncReport:
    customer: str
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # What stopped the run part-way (Space Invoices unavailable): worth trying again later.
    stopped_by: SpaceInvoicesError | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _wanted(membership: Membership, customer: Customer) -> bool:
    return (
        customer.uses_entity_users
        and not customer.is_offboarding  # a leaving customer keeps no users upstream
        and membership.user.is_active
        and membership.sync_state != SyncState.REMOVING
    )


def _plan(customer: Customer, upstream: dict[str, EntityUser]):
    """(membership, upstream user or None, action) for every membership, and the upstream
    users that no membership accounts for."""
    steps, known = [], set()
    for membership in customer.memberships.select_related("user"):
        email = membership.user.email.lower()
        known.add(email)
        current = upstream.get(email)
        if not _wanted(membership, customer):
            action = "remove" if current else "settle"
        elif current is None:
            action = "add"
        elif current.role != membership.role:
            action = "role"
        else:
            action = "settle"
        steps.append((membership, current, action))
    extras = [user for email, user in upstream.items() if email not in known]
    return steps, extras


def _describe(membership: Membership, action: str) -> str | None:
    email = membership.user.email
    return {
        "add": f"add {email} as {membership.role}",
        "role": f"set {email} to {membership.role}",
        "remove": f"remove {email}",
    }.get(action)


def _settle(
    membership: Membership,
    current: EntityUser | None,
    customer: Customer,
    pending: dict[str, Invitation],
) -> None:
    """Record where a membership stands once upstream matches it. Whether the member is
    still invited comes from the entity's pending invitations, never the user object."""
    if membership.sync_state == SyncState.REMOVING:
        membership.delete()
        return
    invitation = pending.get(membership.user.email.lower()) if current else None
    if not customer.uses_entity_users:
        state = SyncState.NOT_APPLICABLE
    elif not membership.user.is_active:
        state = SyncState.INACTIVE
    elif invitation:
        state = SyncState.INVITED
    else:
        state = SyncState.SYNCED
    membership.si_user_id = current.user_id if current else ""
    membership.applied_role = current.role if current else ""
    membership.invitation_id = invitation.id if invitation else ""
    membership.sync_state = state
    membership.last_error = ""
    membership.save()


def _user_by_email(client, entity_id: str, email: str) -> EntityUser | None:
    email = email.lower()
    return next((u for u in client.entity_users_list(entity_id) if u.email.lower() == email), None)


def _apply(client, customer: Customer, membership: Membership, current, action: str):
    """Make upstream match one membership, one recorded write at a time; the entity user
    it ends with, or None."""
    entity_id, email, role = customer.entity_id, membership.user.email, membership.role
    step = f"member.{action}:{membership.uuid}"
    if action == "add":
        try:
            current = upstream_write(
                customer=customer,
                step=step,
                call=lambda rid: client.entity_user_add(
                    entity_id, email=email, role=role, send_invite=False, request_id=rid
                ),
            )
        except Conflict:
            # Already there (added elsewhere, or by a run whose answer was lost): adopt it.
            current = _user_by_email(client, entity_id, email)
            if current is None:
                raise
        if current.role != role:
            action, step = "role", f"member.role:{membership.uuid}"
    if action == "role":
        user_id = current.user_id
        current = upstream_write(
            customer=customer,
            step=step,
            call=lambda rid: client.entity_user_role_set(
                entity_id, user_id, role=role, request_id=rid
            ),
        )
    elif action == "remove":
        _user_remove(client, customer, current.user_id, step)
        current = None
    return current


def _user_remove(client, customer: Customer, user_id: str, step: str) -> None:
    with contextlib.suppress(NotFound):  # already gone: that is the goal
        upstream_write(
            customer=customer,
            step=step,
            call=lambda rid: client.entity_user_remove(customer.entity_id, user_id, request_id=rid),
        )


def members_sync(
    *,
    customer: Customer,
    actor: Actor | None = None,
    dry_run: bool = False,
    lock_wait: float | None = None,
) -> SyncReport:
    """Add, re-role and remove entity users to match the memberships; errors per member.

    A run asked for by someone (``actor``: staff, an operator) is audited as theirs; one
    that is part of another change (a role change, a switch, provisioning) has that change's
    audit row, and no actor.

    No transaction is held across the calls: one run at a time per customer (its lock), each
    write recorded before it is made, each membership settled when its write is answered.
    """
    if not customer.entity_id:
        # One that left is refused as such: provisioning it would be refused too. (With an
        # entity, offboarding itself syncs, to remove the users.)
        refuse_if_offboarding(customer)
        raise NotProvisioned(f"{customer} has no entity yet; provision it first.")
    report = SyncReport(customer=customer.slug)
    client = account_client()
    with customer_lock(customer, wait=lock_wait):
        customer = Customer.objects.get(pk=customer.pk)
        try:
            upstream = {u.email.lower(): u for u in client.entity_users_list(customer.entity_id)}
            pending = client.invitations_pending(customer.entity_id) if upstream else {}
        except SpaceInvoicesError as exc:
            if actor is not None and not dry_run:  # asked for, and stopped before any change
                staff_action_record(
                    actor=actor,
                    action=StaffAction.Action.SYNC_MEMBERS,
                    customer=customer,
                    succeeded=False,
                    detail=f"nothing changed: could not read the entity's users ({exc})",
                )
            raise
        steps, extras = _plan(customer, upstream)
        report.changes = [d for m, _, a in steps if (d := _describe(m, a))]
        report.changes += [f"remove {u.email} (not a member)" for u in extras]
        if dry_run:
            return report
        settled = []
        for membership, current, action in steps:
            try:
                settled.append((membership, _apply(client, customer, membership, current, action)))
                if action == "add":
                    pending = None  # an add may have made an invitation: read them again
            except Unavailable as exc:
                # Still pending (the next sync retries it), and now with the reason why.
                membership.last_error = str(exc)
                if action in ("add", "role") and (
                    not membership.applied_role
                    or Role.rank(membership.role) > Role.rank(membership.applied_role)
                ):
                    # Space Invoices may have acted before the answer was lost: until a sync
                    # confirms, the member may hold the higher role there (never shown less).
                    membership.applied_role = membership.role
                membership.save(update_fields=["last_error", "applied_role", "updated_at"])
                report.errors.append(f"Space Invoices unavailable, sync stopped: {exc}")
                report.stopped_by = exc
                break
            except SpaceInvoicesError as exc:
                membership.sync_state = SyncState.FAILED
                membership.last_error = str(exc)
                membership.save(update_fields=["sync_state", "last_error", "updated_at"])
                report.errors.append(f"{membership.user.email}: {exc}")
        else:
            for extra in extras:
                try:
                    _user_remove(client, customer, extra.user_id, f"user.remove:{extra.user_id}")
                except SpaceInvoicesError as exc:
                    report.errors.append(f"{extra.email}: {exc}")
        try:
            if pending is None:
                pending = client.invitations_pending(customer.entity_id)
        except SpaceInvoicesError as exc:
            report.errors.append(f"could not read the pending invitations: {exc}")
            settled = [(m, c) for m, c in settled if c is None]  # settle only removals
            pending = {}
        for membership, current in settled:
            _settle(membership, current, customer, pending)
        if actor is not None:
            staff_action_record(
                actor=actor,
                action=StaffAction.Action.SYNC_MEMBERS,
                customer=customer,
                succeeded=report.ok,
                detail="; ".join(report.changes + report.errors) or "already in step",
            )
    return report


def members_sync_if_live(*, customer: Customer) -> SyncReport | None:
    """Push a membership change upstream now when the customer has an entity (the change
    itself is audited by whoever made it)."""
    if not customer.entity_id:
        return None
    return members_sync(customer=customer)


def users_deactivate(*, user_ids: list[int]) -> None:
    """Deactivate these users here and end every session of theirs: the rows go, and the
    session hash changes (in the same UPDATE), so that one signed in meanwhile (its login
    racing this) never counts either, even once they are active again."""
    User.objects.filter(pk__in=user_ids).update(
        is_active=False, sessions_ended=F("sessions_ended") + 1
    )
    UserSession.objects.filter(user_id__in=user_ids).delete()


def user_active_set(*, user: User, active: bool, actor: Actor) -> list[SyncReport]:
    """Deactivate (or reactivate) a portal user, and sync every customer they belong to.

    The change is committed here first; a customer Space Invoices could not be told about
    is reported (and the nightly sync finishes it), and the others are still synced.
    Deactivating ends the user's sessions: reactivated later, they sign in afresh (a browser
    left signed in would otherwise launch again the moment they were reactivated)."""
    action = StaffAction.Action.ACTIVATE_USER if active else StaffAction.Action.DEACTIVATE_USER
    with transaction.atomic():
        user.is_active = active
        if active:
            user.save(update_fields=["is_active"])
        else:
            users_deactivate(user_ids=[user.pk])
        staff_action_record(actor=actor, action=action, detail=user.email)
    reports = []
    for customer in Customer.objects.filter(memberships__user=user, entity_id__isnull=False):
        try:
            reports.append(members_sync(customer=customer))
        except (SpaceInvoicesError, TenantError) as exc:
            reports.append(SyncReport(customer=customer.slug, errors=[str(exc)]))
    return reports
