"""The tenants app's data migrations on rows already there."""

import pytest
from django.utils import timezone

from tests.migration_steps import rows_before

CLEARED = ("tenants", "0024_offboarded_drift_findings")
BEFORE = ("tenants", "0023_user_email_characters")


@pytest.mark.django_db(transaction=True)
def test_findings_of_customers_offboarded_before_are_deleted_and_the_others_kept():
    with rows_before(BEFORE, CLEARED) as apps:
        Customer = apps.get_model("tenants", "Customer")
        Finding = apps.get_model("tenants", "DriftFinding")
        gone = Customer.objects.create(
            name="Gone", slug="gone", country="Austria", offboarded_at=timezone.now()
        )
        here = Customer.objects.create(name="Here", slug="here", country="Austria")
        for customer in (gone, here):
            Finding.objects.create(customer=customer, kind="details", detail="x", fixable=True)
    from tenants.models import DriftFinding

    assert list(DriftFinding.objects.values_list("customer__slug", flat=True)) == ["here"]
