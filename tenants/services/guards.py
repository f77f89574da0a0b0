"""Refusals shared by the services that would set something up for a customer upstream."""

from django.conf import settings
from django.utils.translation import gettext

from tenants.errors import NotProvisioned, Offboarded
from tenants.models import Customer


def refuse_if_offboarding(customer: Customer) -> None:
    if customer.is_offboarding:
        state = "has been offboarded" if customer.offboarded_at else "is being offboarded"
        raise Offboarded(f"{customer} {state}; nothing is set up for it at Space Invoices.")


def refuse_unless_ready(customer: Customer, *, why: str = "provision it first") -> None:
    """For work on a customer's entity: refused once it is offboarding, or before it has one.
    The commands' dry runs call it too, so that they refuse what the real run would."""
    refuse_if_offboarding(customer)
    if not customer.entity_id:
        raise NotProvisioned(f"{customer} is not provisioned; {why}.")


def team_growth_refusal(customer: Customer) -> str:
    """Why a customer's own admins may not add colleagues nor change roles now ('' when they
    may): while the partner has turned its invoicing off (unpaid, say) or it is leaving, they
    may take access away but not grant it. Partner staff still can, from the admin."""
    if customer.is_active and not customer.is_offboarding:
        return ""
    if customer.is_offboarding:  # never "turned on again": it is not coming back
        return gettext(
            "Invoicing for %(company)s has ended, so colleagues cannot be added nor their "
            "roles changed. You can still remove a colleague."
        ) % {"company": customer.name}
    return gettext(
        "Invoicing for %(company)s is turned off, so colleagues cannot be added nor their "
        "roles changed until it is turned on again (write to %(email)s). You can still remove "
        "a colleague."
    ) % {"company": customer.name, "email": settings.PORTAL_SUPPORT_EMAIL}
