"""``prune_webhook_inbox --older-than DAYS [--dry-run]``: webhook inbox retention."""

from activity.retention import deliveries_old, deliveries_prune, deliveries_unprocessed_before
from portal.retention import RetentionCommand


class Command(RetentionCommand):
    help = (
        "Delete processed webhook deliveries older than DAYS days, in batches (usage counts "
        "stay); one not processed yet is kept for a replay."
    )
    what = "webhook deliveries"

    def old(self, cutoff):
        return deliveries_old(cutoff)

    def kept(self, cutoff, *, dry_run):
        if count := deliveries_unprocessed_before(cutoff).count():
            kept = "Would keep" if dry_run else "Kept"
            return (
                f"{kept} {count} older one(s) not processed (failed, or not reached yet): "
                "replay them from the webhook inbox, or delete them there (permission "
                "activity.delete_delivery)."
            )
        return ""

    def prune(self, *, older_than_days, progress):
        return deliveries_prune(older_than_days=older_than_days, progress=progress)
