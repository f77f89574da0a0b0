"""``reencrypt_secrets [--dry-run] [--batch-size N]``: every stored secret (entity API keys,
webhook signing secrets) under the first key.

Resumable and constant in memory: rows are read in primary-key batches as raw Fernet
tokens (never decrypted into model objects), and a row the first key alone already
decrypts is skipped. After a run the old key can leave FIELD_ENCRYPTION_KEYS.

A row no configured key decrypts is reported and skipped, not a failure: removing an old
key cannot make it less readable than it already is. A key custodian removes such rows in
the admin (Entity API keys → "Remove unreadable key rows") once a replacement is attached.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from tenants.encryption import DecryptionError, reencrypted
from tenants.models import EntityApiKey, WebhookEndpoint

# A batch is read into memory and written in one statement: more would only risk both.
MOST_IN_A_BATCH = 100_000
# Every encrypted column: (model, field).
ENCRYPTED = ((EntityApiKey, "key"), (WebhookEndpoint, "secret"))


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, dry_run=False, batch_size=1000, **options):
        if not 1 <= batch_size <= MOST_IN_A_BATCH:
            raise CommandError(f"--batch-size must be from 1 to {MOST_IN_A_BATCH}.")
        for model, field in ENCRYPTED:
            self.stdout.write(f"{model._meta.verbose_name_plural}:")
            self.reencrypt(model, field, dry_run=dry_run, batch_size=batch_size)

    def reencrypt(self, model, field: str, *, dry_run: bool, batch_size: int) -> None:
        quote = connection.ops.quote_name
        table, column = quote(model._meta.db_table), quote(field)
        # Identifiers come from our own model, quoted; values are parameters.
        select = f"SELECT id, {column} FROM {table} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608
        update = f"UPDATE {table} SET {column} = %s WHERE id = %s"  # noqa: S608
        last_id, seen, current, changed, failed = 0, 0, 0, 0, []
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        while True:
            with connection.cursor() as cursor:
                cursor.execute(select, [last_id, batch_size])
                rows = cursor.fetchall()
            if not rows:
                break
            updates = []
            for row_id, token in rows:
                try:
                    new = reencrypted(token)
                except DecryptionError:
                    failed.append(row_id)
                    continue
                if new is None:
                    current += 1
                else:
                    updates.append((new, row_id))
            if updates and not dry_run:
                with transaction.atomic(), connection.cursor() as cursor:
                    if connection.vendor == "postgresql":
                        # One statement a batch: far fewer round trips than one per row.
                        values = ", ".join(["(%s::bigint, %s)"] * len(updates))
                        params = [p for new, row_id in updates for p in (row_id, new)]
                        cursor.execute(
                            f"UPDATE {table} AS t SET {column} = v.token "  # noqa: S608
                            f"FROM (VALUES {values}) AS v(id, token) WHERE t.id = v.id",
                            params,
                        )
                    else:
                        cursor.executemany(update, updates)
            changed += len(updates)
            seen += len(rows)
            last_id = rows[-1][0]
            self.stdout.write(
                f"{seen} rows: {changed} {verb}, {current} already current, "
                f"{len(failed)} unreadable"
            )
        summary = f"Done: {seen} rows, {changed} {verb}, {current} already current."
        if failed:
            skipped = "would be" if dry_run else "were"
            self.stderr.write(
                self.style.WARNING(
                    f"{len(failed)} row(s) decrypt with no configured key and {skipped} skipped "
                    f"(ids {', '.join(map(str, failed[:20]))}): remove them in the admin "
                    f"({model._meta.verbose_name_plural}) once their customers have a "
                    "replacement (for a webhook endpoint: rotate its secret)."
                )
            )
        self.stdout.write(self.style.SUCCESS(summary))
