"""The audit's migrations on rows already there."""

import pytest
from django.db import IntegrityError

from tests.migration_steps import rows_before

ONE_ROW = ("embedding", "0003_one_row_per_request")
BEFORE = ("embedding", "0002_launch_started")


@pytest.mark.django_db(transaction=True)
def test_rows_that_share_a_request_id_are_kept_and_marked_before_it_becomes_unique():
    with rows_before(BEFORE, ONE_ROW) as apps:
        old = apps.get_model("embedding", "LaunchEvent")
        # A started row left behind, then the row that says what happened.
        stale = old.objects.create(customer_slug="acme", outcome="started", request_id="r1")
        known = old.objects.create(customer_slug="acme", outcome="launched", request_id="r1")
        alone = old.objects.create(customer_slug="acme", outcome="launched", request_id="r2")
        blank = [old.objects.create(customer_slug="acme", outcome="launched") for _ in "ab"]
        long = "x" * 100  # as long as the column allows: marked within it
        long_rows = [
            old.objects.create(customer_slug="acme", outcome="started", request_id=long)
            for _ in "ab"
        ]
    from embedding.models import LaunchEvent

    ids = dict(LaunchEvent.objects.values_list("pk", "request_id"))
    assert ids[known.pk] == "r1" and ids[alone.pk] == "r2"
    assert ids[stale.pk] == f"r1:dup{stale.pk}"
    assert [ids[row.pk] for row in blank] == ["", ""]  # no request id: not one attempt
    suffix = f":dup{long_rows[1].pk}"
    assert [ids[row.pk] for row in long_rows] == [long, long[: 100 - len(suffix)] + suffix]
    assert LaunchEvent.objects.count() == 7  # nothing deleted from the audit
    with pytest.raises(IntegrityError):  # and from now on, one row per request id
        LaunchEvent.objects.create(customer_slug="acme", outcome="launched", request_id="r2")
