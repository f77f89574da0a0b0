"""The staff groups see the jobs their actions start; those who act may retry a failed item.

Frozen here, as in tenants' 0011: a later change to a group is a new migration. Retrying
also needs the permission of the action retried (see jobs.admin), so Key custodians can
retry a rotation and not a sync.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADDED = {
    "Support": ["jobs.view_job", "jobs.view_jobitem"],
    "Operations": ["jobs.view_job", "jobs.view_jobitem", "jobs.retry_jobitem"],
    "Key custodian": ["jobs.view_job", "jobs.view_jobitem", "jobs.retry_jobitem"],
    "Offboarding": ["jobs.view_job", "jobs.view_jobitem", "jobs.retry_jobitem"],
}


def permissions_add(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ADDED.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def permissions_remove(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ADDED):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="jobs"))


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("tenants", "0011_staff_groups"),
    ]

    operations = [migrations.RunPython(permissions_add, permissions_remove)]
