"""Staff groups see the inbox and the usage report; Operations may replay deliveries.

Frozen here, as in tenants' 0011: a later change to a group is a new migration.
"""

from django.db import migrations

from portal.group_permissions import group_permissions_migration

ADDED = {
    "Support": ["activity.view_delivery", "activity.view_usage_report"],
    "Operations": [
        "activity.view_delivery",
        "activity.replay_delivery",
        "activity.view_usage_report",
    ],
}


class Migration(migrations.Migration):
    dependencies = [("activity", "0001_initial"), ("tenants", "0016_webhook_permissions")]

    operations = [migrations.RunPython(*group_permissions_migration(ADDED))]
