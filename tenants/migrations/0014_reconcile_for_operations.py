"""Operations may reconcile customers (the drift report's apply) and see the findings.

Frozen here, as in 0011: a later change to a group is a new migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADDED = {
    "Support": ["tenants.view_driftfinding"],
    "Operations": ["tenants.view_driftfinding", "tenants.reconcile_customer"],
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
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ADDED.items():
        for group in Group.objects.filter(name=name):
            for code in codes:
                app_label, codename = code.split(".")
                group.permissions.remove(
                    *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0013_drift_report")]

    operations = [migrations.RunPython(permissions_add, permissions_remove)]
