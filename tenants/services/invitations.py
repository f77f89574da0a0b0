"""Invitations: Space Invoices emails a member who has not accepted yet, in its own brand."""

from spaceinvoices.client import SpaceInvoicesError
from spaceinvoices.factory import account_client
from tenants.errors import NotProvisioned, TenantError
from tenants.locking import customer_lock
from tenants.models import Membership, StaffAction, SyncState

from .audit import Actor, staff_action_record
from .intents import upstream_write


def invitation_resend(*, membership: Membership, actor: Actor) -> None:
    """Have Space Invoices send its invitation email again. The email is Space Invoices'
    own, not the partner's: the admin warns staff before this runs."""
    customer = membership.customer
    if not customer.entity_id:
        raise NotProvisioned(f"{customer} is not provisioned yet.")
    client = account_client()
    email = membership.user.email.lower()
    with customer_lock(customer):
        invitation = _resend(client, membership, email, actor)
    Membership.objects.filter(pk=membership.pk).update(
        invitation_id=invitation.id, sync_state=SyncState.INVITED
    )
    staff_action_record(
        actor=actor,
        action=StaffAction.Action.RESEND_INVITATION,
        customer=customer,
        detail=email,
    )


def _resend(client, membership: Membership, email: str, actor: Actor):
    customer = membership.customer
    try:
        invitation = client.invitations_pending(customer.entity_id).get(email)
        if invitation is None:
            raise TenantError(f"{email} has no pending invitation at Space Invoices.")
        upstream_write(
            customer=customer,
            step=f"invitation.resend:{invitation.id}",
            call=lambda rid: client.invitation_resend(
                customer.entity_id, invitation.id, request_id=rid
            ),
        )
    except (SpaceInvoicesError, TenantError) as exc:
        staff_action_record(
            actor=actor,
            action=StaffAction.Action.RESEND_INVITATION,
            customer=customer,
            succeeded=False,
            detail=f"{email}: {exc}",
        )
        raise
    return invitation
