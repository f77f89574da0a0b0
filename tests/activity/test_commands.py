"""Operators' commands of the activity app: demo invoices, inbox retention."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from activity.models import Delivery, UsageEvent
from tenants.services import customer_provision


@pytest.fixture
def acme(make_customer, simulator):
    return customer_provision(customer=make_customer(name="Acme", slug="acme"), actor="t")


def test_demo_invoices_are_made_once_at_the_simulator(acme, simulator, capsys):
    call_command("seed_demo_activity")
    call_command("seed_demo_activity")
    out = capsys.readouterr().out
    assert "2 demo invoice(s) made." in out and "0 demo invoice(s) made." in out
    key = acme.api_keys.active().get().key
    listed = simulator.api("GET", "/invoices", key, headers={"x-entity-id": acme.entity_id},
                           params={"limit": 100}).json()["data"]  # fmt: skip
    assert sum(i["customer"]["name"] == "Demo buyer" for i in listed) == 2


def test_demo_invoices_are_never_made_at_the_real_service(acme, settings, simulator):
    settings.SPACEINVOICES_API_URL = "https://eu.spaceinvoices.com"
    with pytest.raises(CommandError, match="Only against the simulator"):
        call_command("seed_demo_activity")
    assert simulator.stats()["requests"].get("POST /invoices", 0) == 0


def test_inbox_retention_deletes_old_deliveries_and_keeps_usage(acme, capsys):
    old = Delivery.objects.create(customer=acme, endpoint_id="wh_1", body_sha256="1" * 64,
                                  body=b"{}", processed_at=timezone.now())  # fmt: skip
    failed = Delivery.objects.create(customer=acme, endpoint_id="wh_1", body_sha256="3" * 64,
                                     body=b"{}", error="no key to read it")  # fmt: skip
    long_ago = timezone.now() - timedelta(days=91)
    Delivery.objects.filter(pk__in=[old.pk, failed.pk]).update(received_at=long_ago)
    new = Delivery.objects.create(customer=acme, endpoint_id="wh_1", body_sha256="2" * 64,
                                  body=b"{}")  # fmt: skip
    UsageEvent.objects.create(customer=acme, delivery=old, document_type="invoice",
                              document_id="inv_1", occurred_at=timezone.now())  # fmt: skip
    call_command("prune_webhook_inbox", "--older-than", "90", "--dry-run")
    assert Delivery.objects.count() == 3
    call_command("prune_webhook_inbox", "--older-than", "90")
    # The failed one stays, to be replayed: its usage is not counted yet.
    assert set(Delivery.objects.values_list("pk", flat=True)) == {new.pk, failed.pk}
    assert UsageEvent.objects.get().delivery is None  # the count stays
    out = capsys.readouterr().out
    assert "would delete 1 webhook deliveries" in out and "Deleted 1 webhook deliveries." in out
    assert "Would keep 1 older one(s) not processed" in out  # the dry run, then the run:
    assert "Kept 1 older one(s) not processed" in out


def test_inbox_retention_refuses_zero_days(db):
    with pytest.raises(CommandError, match="from 1 to 36500 days"):
        call_command("prune_webhook_inbox", "--older-than", "0")


def test_inbox_retention_refuses_a_typo_of_a_century(db):
    with pytest.raises(CommandError, match="from 1 to 36500 days"):
        call_command("prune_webhook_inbox", "--older-than", "9999999999")
