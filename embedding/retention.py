"""Launch audit retention: old launch events deleted in small batches."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone

from embedding.models import LaunchEvent

BATCH = 5000  # small deletes keep locks short on a busy table


def launch_events_cutoff(*, older_than_days: int) -> datetime:
    return timezone.now() - timedelta(days=older_than_days)


def launch_events_prune(
    *, older_than_days: int, progress: Callable[[int], None] | None = None
) -> int:
    """Delete launch events older than ``older_than_days``; how many. ``progress`` hears the
    running total after each batch."""
    old = LaunchEvent.objects.filter(
        created_at__lt=launch_events_cutoff(older_than_days=older_than_days)
    )
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:BATCH]):
        deleted += LaunchEvent.objects.filter(pk__in=ids).delete()[0]
        if progress:
            progress(deleted)
    return deleted
