"""Retention: old rows deleted in small batches, by the schedule and by a command."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet
from django.utils import timezone

BATCH = 5000  # small deletes keep locks short on a busy table
LONGEST_DAYS = 36_500  # a century: anything longer is a typo


def retention_cutoff(*, older_than_days: int) -> datetime:
    return timezone.now() - timedelta(days=older_than_days)


def batches_delete(old: QuerySet, *, progress: Callable[[int], None] | None = None) -> int:
    """Delete the rows of ``old`` a batch at a time; how many. ``progress`` hears the
    running total after each batch."""
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:BATCH]):
        deleted += old.model.objects.filter(pk__in=ids).delete()[0]
        if progress:
            progress(deleted)
    return deleted


class RetentionCommand(BaseCommand):
    """``--older-than DAYS [--dry-run]``. Subclasses name ``what`` is kept and give the
    rows older than a cutoff (``old``) and how to prune them (``prune``)."""

    what = "rows"

    def old(self, cutoff: datetime) -> QuerySet:
        raise NotImplementedError

    def prune(self, *, older_than_days: int, progress: Callable[[int], None]) -> int:
        raise NotImplementedError

    def kept(self, cutoff: datetime, *, dry_run: bool) -> str:
        """What older rows the prune leaves, and why ("" when none)."""
        return ""

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, older_than: int, dry_run=False, **options):
        if not 1 <= older_than <= LONGEST_DAYS:
            raise CommandError(f"--older-than must be from 1 to {LONGEST_DAYS} days.")
        if dry_run:
            cutoff = retention_cutoff(older_than_days=older_than)
            count = self.old(cutoff).count()
            self.stdout.write(
                f"Dry run: would delete {count} {self.what} older than {cutoff:%Y-%m-%d %H:%M} UTC."
            )
        else:
            deleted = self.prune(
                older_than_days=older_than,
                progress=lambda total: self.stdout.write(f"deleted {total} so far"),
            )
            self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} {self.what}."))
        if note := self.kept(retention_cutoff(older_than_days=older_than), dry_run=dry_run):
            self.stdout.write(note)
