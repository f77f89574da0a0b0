"""Inbox retention: old deliveries deleted in small batches (the usage they counted stays)."""

from collections.abc import Callable
from datetime import datetime

from portal.retention import batches_delete, retention_cutoff

from .models import Delivery


def deliveries_old(cutoff: datetime):
    """Processed deliveries received before ``cutoff``. One not processed (it failed, or
    no worker has reached it) stays until a replay processes it: deleting it would lose the
    usage it has not counted yet."""
    return Delivery.objects.filter(received_at__lt=cutoff, processed_at__isnull=False)


def deliveries_unprocessed_before(cutoff: datetime):
    return Delivery.objects.filter(received_at__lt=cutoff, processed_at__isnull=True)


def deliveries_prune(*, older_than_days: int, progress: Callable[[int], None] | None = None) -> int:
    cutoff = retention_cutoff(older_than_days=older_than_days)
    return batches_delete(deliveries_old(cutoff), progress=progress)
