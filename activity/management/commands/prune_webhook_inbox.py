"""``prune_webhook_inbox --older-than DAYS [--dry-run]``: webhook inbox retention."""

from activity.retention import deliveries_old, deliveries_prune
from portal.retention import RetentionCommand


class Command(RetentionCommand):
    help = "Delete webhook deliveries older than DAYS days, in batches (usage counts stay)."
    what = "webhook deliveries"

    def old(self, cutoff):
        return deliveries_old(cutoff)

    def prune(self, *, older_than_days, progress):
        return deliveries_prune(older_than_days=older_than_days, progress=progress)
