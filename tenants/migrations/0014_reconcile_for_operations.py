"""Operations may reconcile customers (the drift report's apply) and see the findings.

Frozen here, as in 0011: a later change to a group is a new migration.
"""

from django.db import migrations

from portal.group_permissions import group_permissions_migration

ADDED = {
    "Support": ["tenants.view_driftfinding"],
    "Operations": ["tenants.view_driftfinding", "tenants.reconcile_customer"],
}


class Migration(migrations.Migration):
    dependencies = [("tenants", "0013_drift_report")]

    operations = [migrations.RunPython(*group_permissions_migration(ADDED))]
