"""One audit row per launch attempt (by its request id), enforced by the database."""

from django.db import migrations, models
from django.db.models import Count

NAME = "launchevent_one_row_per_request"
ONE_ROW_PER_REQUEST = models.UniqueConstraint(
    condition=models.Q(("request_id", ""), _negated=True), fields=("request_id",), name=NAME
)


def duplicates_marked(apps, schema_editor):
    """Rows that share a request id (a lost connection could leave a second, started row
    before this constraint): the id stays on the row that says what happened (the first
    that is not *started*, else the first), the others get ``<id>:dup<pk>`` (the id cut to
    fit), so that nothing is deleted from the audit and each stays findable."""
    LaunchEvent = apps.get_model("embedding", "LaunchEvent")
    width = LaunchEvent._meta.get_field("request_id").max_length
    shared = (
        LaunchEvent.objects.exclude(request_id="")
        .values("request_id")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
    )
    for group in shared.iterator():
        request_id = group["request_id"]
        rows = list(
            LaunchEvent.objects.filter(request_id=request_id)
            .order_by("id")
            .values_list("id", "outcome")
        )
        kept = next((pk for pk, outcome in rows if outcome != "started"), rows[0][0])
        for pk, _ in rows:
            if pk != kept:
                suffix = f":dup{pk}"
                marked = request_id[: width - len(suffix)] + suffix
                LaunchEvent.objects.filter(pk=pk).update(request_id=marked)


def index_built(apps, schema_editor):
    """The constraint's unique index. On PostgreSQL built CONCURRENTLY, so that launches
    keep writing their rows meanwhile; one left invalid by an interrupted build is dropped
    and built again (duplicates that arrived meanwhile are marked first, above)."""
    model = apps.get_model("embedding", "LaunchEvent")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_constraint(model, ONE_ROW_PER_REQUEST)
        return
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [NAME],
        )
        found = cursor.fetchone()
    if found and not found[0]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY {quote(NAME)}")
    column = quote("request_id")
    schema_editor.execute(
        f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {quote(NAME)} "
        f"ON {quote(model._meta.db_table)} ({column}) WHERE NOT ({column} = '')"
    )


def index_dropped(apps, schema_editor):
    schema_editor.remove_constraint(
        apps.get_model("embedding", "LaunchEvent"), ONE_ROW_PER_REQUEST
    )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("embedding", "0002_launch_started"),
    ]

    operations = [
        migrations.RunPython(duplicates_marked, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(model_name="launchevent", constraint=ONE_ROW_PER_REQUEST)
            ],
            database_operations=[migrations.RunPython(index_built, index_dropped)],
        ),
    ]
