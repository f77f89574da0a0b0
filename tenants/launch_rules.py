"""Why a member cannot open invoicing, as far as the portal already knows: one set of rules
for the customer page (a disabled button with the reason) and for the launch itself."""

from dataclasses import dataclass

from django.conf import settings

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
        return LaunchBlock(
            "inactive",
            403,
            "Invoicing is turned off",
            f"Invoicing for {customer.name} is turned off. Please contact "
            f"{settings.PORTAL_SUPPORT_EMAIL}.",
        )
    if not customer.is_provisioned:
        return LaunchBlock(
            "not_provisioned",
            409,
            "Invoicing is not set up yet",
            f"Invoicing for {customer.name} is still being set up. Please try again later.",
        )
    floor = settings.PORTAL_KEY_MODE_MIN_ROLE
    if customer.access_mode == AccessMode.API_KEY and Role.rank(membership.role) < Role.rank(floor):
        return LaunchBlock(
            "role_too_low",
            403,
            "Your role cannot open invoicing",
            f"Opening invoicing for {customer.name} needs the {floor} role or higher; "
            f"yours is {membership.role}. Ask an admin of your team.",
        )
    return None
