"""Bulk work keeps to its share of Space Invoices' rate limit: never a 429 (simulator's)."""

import pytest

from spaceinvoices.budget import bulk_calls
from tenants.services import customer_provision, members_sync
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db

# A compressed minute: 14 calls per key in any 2 seconds, upstream and in the portal's budget.
LIMIT, PERIOD = 14, 2


@pytest.fixture
def customers(make_customer, make_member, simulator):
    made = []
    for n in range(6):
        customer = customer_provision(customer=make_customer(name=f"Bulk {n}"), actor="t")
        make_member(customer, f"m{n}@bulk.example", "editor")  # each sync adds one user
        made.append(customer)
    return made


def sync_all(customers) -> list:
    with bulk_calls():
        return [members_sync(customer=customer) for customer in customers]


def test_a_bulk_run_under_a_low_rate_limit_never_meets_a_429(
    customers, simulator, account_key, settings
):
    settings.SPACEINVOICES_RATE_LIMIT, settings.SPACEINVOICES_RATE_PERIOD = LIMIT, PERIOD
    simulator.rate_limit(LIMIT, period_seconds=PERIOD)
    reports = sync_all(customers)
    assert all(report.ok for report in reports)
    assert simulator.stats()["rate_limited"] == 0
    for n, customer in enumerate(customers):
        assert upstream_users(simulator, account_key, customer.entity_id) == {
            f"m{n}@bulk.example": "editor"
        }


def test_without_the_budget_the_same_run_meets_429s(customers, simulator, settings):
    """The control: the limit above is low enough to be met."""
    settings.SPACEINVOICES_RATE_PERIOD = PERIOD  # the budget stays far above the limit
    simulator.rate_limit(LIMIT, period_seconds=PERIOD)
    sync_all(customers)
    assert simulator.stats()["rate_limited"] > 0
