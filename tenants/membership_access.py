"""Who may see a company's page, and who may manage it: for every app's company pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants.models import Membership, Role, SyncState


def membership_get(user, slug: str) -> Membership:
    """The user's membership of ``slug``; 404 for strangers, exactly as for no such customer."""
    try:
        # One whose removal is pending is no longer a member here, whatever Space Invoices
        # still holds.
        return (
            Membership.objects.select_related("customer")
            .exclude(sync_state=SyncState.REMOVING)
            .get(user=user, customer__slug=slug)
        )
    except Membership.DoesNotExist:
        raise Http404("No such customer.") from None


def admin_membership_get(user, slug: str, *, why: str = "manages its team") -> Membership:
    membership = membership_get(user, slug)
    if membership.role != Role.ADMIN:
        raise PermissionDenied(f"Only an admin of this customer {why}.")
    return membership
