"""Without a broker, tasks run in the calling process, and say nothing about a broker."""

import logging

from activity.models import Delivery
from activity.tasks import deliveries_resume


def test_a_task_without_a_broker_runs_at_once_and_logs_no_broker_warning(db, caplog):
    with caplog.at_level(logging.WARNING):
        queued = deliveries_resume.delay()
    assert queued.get() == 0  # ran here, and found nothing stranded
    assert not Delivery.objects.exists()
    assert [r.getMessage() for r in caplog.records if r.name.startswith(("kombu", "celery"))] == []
