"""An import's lookup of the accounts it lists: any number of addresses (past SQLite's
limit on a statement's parameters here, 250,000, and PostgreSQL's, 65,535), in batches."""

import pytest

from tenants.import_members import team_lookup
from tenants.models import User

pytestmark = pytest.mark.django_db


def test_any_number_of_addresses_is_looked_up_and_the_turned_off_ones_found():
    User.objects.create_user(email="Off@X.example", is_active=False)
    User.objects.create_user(email="on@x.example")
    listed = [f"u{n}@x.example" for n in range(260_000)] + ["off@x.example", "on@x.example"]
    assert team_lookup(customers=[], emails=listed).turned_off == {"off@x.example"}
