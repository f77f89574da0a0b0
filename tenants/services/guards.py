"""Refusals shared by the services that would set something up for a customer upstream."""

from tenants.errors import Offboarded
from tenants.models import Customer


def refuse_if_offboarding(customer: Customer) -> None:
    if customer.is_offboarding:
        state = "has been offboarded" if customer.offboarded_at else "is being offboarded"
        raise Offboarded(f"{customer} {state}; nothing is set up for it at Space Invoices.")
