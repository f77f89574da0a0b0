"""Launch audit retention: old launch events deleted in small batches."""

from collections.abc import Callable
from datetime import datetime

from embedding.models import LaunchEvent
from portal.retention import batches_delete, retention_cutoff


def launch_events_old(cutoff: datetime):
    return LaunchEvent.objects.filter(created_at__lt=cutoff)


def launch_events_prune(
    *, older_than_days: int, progress: Callable[[int], None] | None = None
) -> int:
    """Delete launch events older than ``older_than_days``; how many."""
    cutoff = retention_cutoff(older_than_days=older_than_days)
    return batches_delete(launch_events_old(cutoff), progress=progress)
