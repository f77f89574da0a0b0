"""Refusals shared by the services that would set something up for a customer upstream."""

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
