"""Data migrations that grant staff groups permissions (each migration freezes its own list)."""

from django.contrib.auth.management import create_permissions


def group_permissions_migration(added: dict[str, list[str]]):
    """``(forward, backward)`` for ``RunPython``: add ``{"Group": ["app.codename"]}`` (making
    the groups and the permissions if need be), and take them away again."""

    def forward(apps, schema_editor):
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for name, codes in added.items():
            group, _ = Group.objects.get_or_create(name=name)
            for code in codes:
                app_label, codename = code.split(".")
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )

    def backward(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for name, codes in added.items():
            for group in Group.objects.filter(name=name):
                for code in codes:
                    app_label, codename = code.split(".")
                    group.permissions.remove(
                        *Permission.objects.filter(
                            content_type__app_label=app_label, codename=codename
                        )
                    )

    return forward, backward
