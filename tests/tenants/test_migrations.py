"""The tenants app's data migrations on rows already there."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

CLEARED = ("tenants", "0024_offboarded_drift_findings")
BEFORE = ("tenants", "0023_user_email_characters")


@pytest.mark.django_db(transaction=True)
def test_findings_of_customers_offboarded_before_are_deleted_and_the_others_kept():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        apps = executor.loader.project_state([BEFORE]).apps
        Customer = apps.get_model("tenants", "Customer")
        Finding = apps.get_model("tenants", "DriftFinding")
        gone = Customer.objects.create(
            name="Gone", slug="gone", country="Austria", offboarded_at=timezone.now()
        )
        here = Customer.objects.create(name="Here", slug="here", country="Austria")
        for customer in (gone, here):
            Finding.objects.create(customer=customer, kind="details", detail="x", fixable=True)
        MigrationExecutor(connection).migrate([CLEARED])
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    from tenants.models import DriftFinding

    assert list(DriftFinding.objects.values_list("customer__slug", flat=True)) == ["here"]
