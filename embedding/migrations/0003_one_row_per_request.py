"""One audit row per launch attempt (by its request id), enforced by the database."""

from django.db import migrations, models
from django.db.models import CharField, Count, F, Min, Value
from django.db.models.functions import Cast, Concat


def duplicates_marked(apps, schema_editor):
    """Rows that share a request id (a lost connection could leave a second, started row
    before this constraint) keep it on the first; the others get ``<id>:dup<pk>``, so that
    nothing is deleted from the audit and each stays findable."""
    LaunchEvent = apps.get_model("embedding", "LaunchEvent")
    shared = (
        LaunchEvent.objects.exclude(request_id="")
        .values("request_id")
        .annotate(rows=Count("id"), first=Min("id"))
        .filter(rows__gt=1)
    )
    for group in shared.iterator():
        LaunchEvent.objects.filter(request_id=group["request_id"]).exclude(
            id=group["first"]
        ).update(request_id=Concat(F("request_id"), Value(":dup"), Cast("id", CharField())))


class Migration(migrations.Migration):
    dependencies = [
        ("embedding", "0002_launch_started"),
    ]

    operations = [
        migrations.RunPython(duplicates_marked, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="launchevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("request_id", ""), _negated=True),
                fields=("request_id",),
                name="launchevent_one_row_per_request",
            ),
        ),
    ]
