"""The staff groups the README describes: least privilege, one concern each.

Frozen here on purpose (a migration must not import the live code): a later change to a
group is a new migration. Re-running sets each group to exactly these permissions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "tenants.view_customer",
    "tenants.view_membership",
    "tenants.view_user",
    "tenants.view_staffaction",
    "tenants.view_entityapikey",
    "embedding.view_launchevent",
]
GROUPS = {
    # Answers customers' questions: sees everything, changes nothing.
    "Support": VIEW_ALL,
    # Runs customers day to day: everything upstream but keys and offboarding.
    "Operations": VIEW_ALL
    + [
        "tenants.add_customer",
        "tenants.change_customer",
        "tenants.add_membership",
        "tenants.change_membership",
        "tenants.delete_membership",
        "tenants.add_user",
        "tenants.change_user",
        "tenants.provision_customer",
        "tenants.sync_members",
        "tenants.update_entity_details",
        "tenants.disable_customer",
        "tenants.change_access_mode",
        "tenants.resend_invitation",
        "tenants.activate_user",
        "tenants.import_customers",
    ],
    # Holds the entity API keys: rotates, attaches, removes unreadable rows.
    "Key custodian": [
        "tenants.view_customer",
        "tenants.view_entityapikey",
        "tenants.view_staffaction",
        "tenants.rotate_entityapikey",
        "tenants.delete_entityapikey",
    ],
    # Ends a customer: its users and keys leave Space Invoices, its entity is disabled.
    "Offboarding": [
        "tenants.view_customer",
        "tenants.view_membership",
        "tenants.view_staffaction",
        "tenants.offboard_customer",
    ],
}


def groups_create(apps, schema_editor):
    # Permissions are made after migrations by default; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def groups_remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0010_offboarding_and_staff_permissions"),
        ("embedding", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(groups_create, groups_remove)]
