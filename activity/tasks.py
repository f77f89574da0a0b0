"""Celery tasks: process a kept delivery, pick up any left unprocessed, prune the inbox."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Delivery
from .processing import delivery_process
from .retention import deliveries_prune

STRANDED_AFTER = timedelta(minutes=5)  # queued but never processed: a lost task or a crash


@shared_task(acks_late=True)
def delivery_process_task(delivery_id: int) -> None:
    delivery_process(delivery_id=delivery_id)


@shared_task
def deliveries_resume() -> int:
    """Queue again deliveries kept but never processed (the broker lost the task, or the
    worker died in a way that dropped it); processing twice is harmless."""
    stranded = Delivery.objects.filter(
        processed_at__isnull=True, error="", received_at__lt=timezone.now() - STRANDED_AFTER
    ).values_list("pk", flat=True)[:1000]
    for pk in stranded:
        delivery_process_task.delay(pk)
    return len(stranded)


@shared_task
def deliveries_prune_old() -> int:
    return deliveries_prune(older_than_days=settings.PORTAL_WEBHOOK_INBOX_DAYS)
