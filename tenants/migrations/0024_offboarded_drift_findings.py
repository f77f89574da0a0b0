"""Drift findings of customers offboarded before offboarding cleared them: nothing compares
such a customer again, so they would stay listed for good."""

from django.db import migrations


def findings_of_offboarded_deleted(apps, schema_editor):
    DriftFinding = apps.get_model("tenants", "DriftFinding")
    DriftFinding.objects.filter(customer__offboarded_at__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [("tenants", "0023_user_email_characters")]

    operations = [
        # Nothing to restore going back: the findings were stale.
        migrations.RunPython(findings_of_offboarded_deleted, migrations.RunPython.noop),
    ]
