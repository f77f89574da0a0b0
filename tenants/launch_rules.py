"""Why a member cannot open invoicing, as far as the portal already knows: one set of rules
for the customer page (a disabled button with the reason) and for the launch itself."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

from tenants.models import AccessMode, Membership, Role


@dataclass(frozen=True)
class LaunchBlock:
    """A refusal known before asking Space Invoices. ``reason`` is the launch audit's outcome."""

    reason: str
    status: int
    title: str
    message: str


def launch_block(*, membership: Membership) -> LaunchBlock | None:
    customer = membership.customer
    if not customer.is_active or customer.is_offboarding:
        return turned_off(customer)
    if not customer.is_provisioned:
        return LaunchBlock(
            "not_provisioned",
            409,
            gettext("Invoicing is not set up yet"),
            gettext("Invoicing for %(company)s is still being set up. Please try again later.")
            % {"company": customer.name},
        )
    floor = settings.PORTAL_KEY_MODE_MIN_ROLE
    if customer.access_mode == AccessMode.API_KEY and Role.rank(membership.role) < Role.rank(floor):
        return LaunchBlock(
            "role_too_low",
            403,
            gettext("Your role cannot open invoicing"),
            gettext(
                "Opening invoicing for %(company)s needs the %(needed)s role or higher; yours "
                "is %(yours)s. Ask an admin of your team."
            )
            % {
                "company": customer.name,
                "needed": Role.in_sentence(floor),
                "yours": Role.in_sentence(membership.role),
            },
        )
    return None


def turned_off(customer) -> LaunchBlock:
    """The customer is disabled (here, or found so upstream at launch), or leaving."""
    if customer.is_offboarding:
        # Never "turned on again": an offboarded customer stays archived.
        title = gettext("Invoicing has ended")
        text = gettext(
            "Invoicing for %(company)s has ended. For questions, please contact %(email)s."
        )
    else:
        title = gettext("Invoicing is turned off")
        text = gettext("To have it turned on again for %(company)s, please contact %(email)s.")
    named = {"company": customer.name, "email": settings.PORTAL_SUPPORT_EMAIL}
    return LaunchBlock("inactive", 403, title, text % named)
