"""prune_launch_events keeps what is recent and deletes what is old."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from embedding.models import LaunchEvent

pytestmark = pytest.mark.django_db


def test_prunes_only_old_events():
    for age in (1, 40, 100):
        event = LaunchEvent.objects.create(customer_slug=f"c{age}", outcome="launched")
        LaunchEvent.objects.filter(pk=event.pk).update(
            created_at=timezone.now() - timedelta(days=age)
        )
    out = StringIO()
    call_command("prune_launch_events", "--older-than", "30", "--dry-run", stdout=out)
    assert "would delete 2" in out.getvalue() and LaunchEvent.objects.count() == 3
    call_command("prune_launch_events", "--older-than", "30", stdout=out)
    assert list(LaunchEvent.objects.values_list("customer_slug", flat=True)) == ["c1"]


def test_refuses_a_non_positive_age():
    with pytest.raises(CommandError, match="from 1 to 36500 days"):
        call_command("prune_launch_events", "--older-than", "0")
