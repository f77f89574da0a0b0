"""Inbox retention: old deliveries deleted in small batches (the usage they counted stays)."""

from collections.abc import Callable
from datetime import datetime

from portal.retention import batches_delete, retention_cutoff

from .models import Delivery


def deliveries_old(cutoff: datetime):
    return Delivery.objects.filter(received_at__lt=cutoff)


def deliveries_prune(*, older_than_days: int, progress: Callable[[int], None] | None = None) -> int:
    cutoff = retention_cutoff(older_than_days=older_than_days)
    return batches_delete(deliveries_old(cutoff), progress=progress)
