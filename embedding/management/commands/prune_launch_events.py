"""``prune_launch_events --older-than DAYS [--dry-run]``: launch audit retention."""

from django.core.management.base import BaseCommand, CommandError

from embedding.models import LaunchEvent
from embedding.retention import launch_events_cutoff, launch_events_prune


class Command(BaseCommand):
    help = "Delete launch events older than DAYS days, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, older_than: int, dry_run=False, **options):
        if older_than < 1:
            raise CommandError("--older-than must be at least 1 day.")
        if dry_run:
            cutoff = launch_events_cutoff(older_than_days=older_than)
            count = LaunchEvent.objects.filter(created_at__lt=cutoff).count()
            self.stdout.write(
                f"Dry run: would delete {count} launch event(s) "
                f"older than {cutoff:%Y-%m-%d %H:%M} UTC."
            )
            return
        deleted = launch_events_prune(
            older_than_days=older_than,
            progress=lambda total: self.stdout.write(f"deleted {total} so far"),
        )
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} launch event(s)."))
