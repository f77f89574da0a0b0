"""``prune_launch_events --older-than DAYS [--dry-run]``: launch audit retention."""

from embedding.retention import launch_events_old, launch_events_prune
from portal.retention import RetentionCommand


class Command(RetentionCommand):
    help = "Delete launch events older than DAYS days, in batches."
    what = "launch event(s)"

    def old(self, cutoff):
        return launch_events_old(cutoff)

    def prune(self, *, older_than_days, progress):
        return launch_events_prune(older_than_days=older_than_days, progress=progress)
