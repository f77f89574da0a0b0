"""Who may register and rotate webhook endpoints, and see them.

Frozen here, as in 0011: a later change to a group is a new migration.
"""

from django.db import migrations

from portal.group_permissions import group_permissions_migration

ADDED = {
    "Support": ["tenants.view_webhookendpoint"],
    # Registering an endpoint for a customer provisioned earlier is day-to-day work.
    "Operations": ["tenants.view_webhookendpoint", "tenants.register_webhookendpoint"],
    # A rotation replaces a signing secret: the custodians of secrets do it.
    "Key custodian": ["tenants.view_webhookendpoint", "tenants.rotate_webhookendpoint"],
}


class Migration(migrations.Migration):
    dependencies = [("tenants", "0015_webhook_endpoints")]

    operations = [migrations.RunPython(*group_permissions_migration(ADDED))]
