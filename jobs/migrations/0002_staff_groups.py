"""The staff groups see the jobs their actions start; those who act may retry a failed item.

Frozen here, as in tenants' 0011: a later change to a group is a new migration. Retrying
also needs the permission of the action retried (see jobs.admin), so Key custodians can
retry a rotation and not a sync.
"""

from django.db import migrations

from portal.group_permissions import group_permissions_migration

ADDED = {
    "Support": ["jobs.view_job", "jobs.view_jobitem"],
    "Operations": ["jobs.view_job", "jobs.view_jobitem", "jobs.retry_jobitem"],
    "Key custodian": ["jobs.view_job", "jobs.view_jobitem", "jobs.retry_jobitem"],
    "Offboarding": ["jobs.view_job", "jobs.view_jobitem", "jobs.retry_jobitem"],
}


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("tenants", "0011_staff_groups"),
    ]

    operations = [migrations.RunPython(*group_permissions_migration(ADDED))]
