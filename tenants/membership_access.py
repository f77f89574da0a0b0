"""Who may see a company's page, and who may manage it: for every app's company pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy

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


TEAM_ADMINS_ONLY = gettext_lazy("Only an admin of this company manages its team.")


def admin_membership_get(user, slug: str, *, refusal=TEAM_ADMINS_ONLY) -> Membership:
    """The user's membership of ``slug`` if they are its admin; ``refusal`` (the 403 page's
    words) otherwise."""
    membership = membership_get(user, slug)
    if membership.role != Role.ADMIN:
        raise PermissionDenied(refusal)
    return membership
