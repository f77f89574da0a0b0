"""``prune_launch_events --older-than DAYS [--dry-run]``: launch audit retention."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from embedding.models import LaunchEvent

BATCH = 5000  # small deletes keep locks short on a busy table


class Command(BaseCommand):
    help = "Delete launch events older than DAYS days, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, older_than: int, dry_run=False, **options):
        if older_than < 1:
            raise CommandError("--older-than must be at least 1 day.")
        cutoff = timezone.now() - timedelta(days=older_than)
        old = LaunchEvent.objects.filter(created_at__lt=cutoff)
        if dry_run:
            self.stdout.write(
                f"Dry run: would delete {old.count()} launch event(s) "
                f"older than {cutoff:%Y-%m-%d %H:%M} UTC."
            )
            return
        deleted = 0
        while ids := list(old.values_list("pk", flat=True)[:BATCH]):
            deleted += LaunchEvent.objects.filter(pk__in=ids).delete()[0]
            self.stdout.write(f"deleted {deleted} so far")
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} launch event(s)."))
