"""Partner staff's side: the inbox (replay, refusal counts) and the usage report (filters,
CSV that a spreadsheet cannot mistake for formulas)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activity.models import Delivery, InvoiceActivity, UsageEvent
from tenants.models import WebhookEndpoint
from tests.activity.deliveries import body_of, invoice, post

pytestmark = pytest.mark.django_db(transaction=True)
USAGE = "/admin/activity/usageevent/"


@pytest.fixture
def endpoint(make_customer):
    return WebhookEndpoint.objects.create(
        customer=make_customer(name="=HYPERLINK(evil)", slug="evil"),
        endpoint_id="wh_" + "d" * 24, url="http://portal.test/x", secret="whsec_" + "e" * 48,
    )  # fmt: skip


def test_replay_processes_a_delivery_again(client, staff, endpoint):
    from django.test import Client

    post(Client(), endpoint, body_of("invoice.created", invoice()))
    InvoiceActivity.objects.all().delete()  # as if processing had been lost
    [kept] = Delivery.objects.all()
    client.force_login(staff)
    page = client.post(
        reverse("admin:activity_delivery_changelist"),
        {"action": "replay", "_selected_action": [kept.pk]},
        follow=True,
    )
    assert "Processed 1 delivery again." in page.content.decode()
    assert InvoiceActivity.objects.count() == 1 and UsageEvent.objects.count() == 1


def test_the_inbox_shows_todays_refusals(client, staff, endpoint):
    from django.test import Client

    post(Client(), endpoint, body_of("invoice.created", invoice()), secret="whsec_nope")
    client.force_login(staff)
    page = client.get(reverse("admin:activity_delivery_changelist")).content.decode()
    assert "bad_signature 1" in page and Delivery.objects.count() == 0


def test_the_usage_csv_defuses_formulas_and_sums_per_currency(client, staff, endpoint):
    for amount, currency in ((10, "EUR"), (5, "EUR"), (7, "USD")):
        UsageEvent.objects.create(
            customer=endpoint.customer, document_type="invoice", document_id=f"inv_{amount}",
            currency=currency, amount=amount, occurred_at=timezone.now(),
        )  # fmt: skip
    client.force_login(staff)
    answer = client.get(USAGE, {"export": "csv"})
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    month = timezone.localtime().strftime("%Y-%m")
    assert rows[1:] == [
        [month, "'=HYPERLINK(evil)", "invoice", "2", "EUR", "15.00"],
        [month, "'=HYPERLINK(evil)", "invoice", "1", "USD", "7.00"],
    ]


def test_the_usage_report_filters_by_type_and_months(client, staff, endpoint):
    old = timezone.now() - timedelta(days=100)
    UsageEvent.objects.create(customer=endpoint.customer, document_type="estimate",
                              document_id="est_1", occurred_at=old)  # fmt: skip
    UsageEvent.objects.create(customer=endpoint.customer, document_type="invoice",
                              document_id="inv_1", occurred_at=timezone.now())  # fmt: skip
    client.force_login(staff)
    only_invoices = client.get(USAGE, {"document_type": "invoice", "export": "csv"})
    assert [r[2] for r in csv.reader(io.StringIO(only_invoices.content.decode()))][1:] == [
        "invoice"
    ]
    last_month_only = client.get(USAGE, {"months": "1", "export": "csv"})
    assert len(last_month_only.content.decode().splitlines()) == 2  # header + this month
    everything = client.get(USAGE, {"months": "12", "export": "csv"})
    assert len(everything.content.decode().splitlines()) == 3


def test_bad_filters_are_shown_on_their_field_and_nothing_is_exported(client, staff, endpoint):
    client.force_login(staff)
    page = client.get(USAGE, {"months": "0", "document_type": "spaceship"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="months-errors"' in html and 'id="document_type-errors"' in html
    csv_answer = client.get(USAGE, {"months": "x", "export": "csv"})
    assert not csv_answer["Content-Type"].startswith("text/csv")


def test_support_sees_the_report_but_cannot_replay(client, endpoint, db):
    from tests.tenants.test_permission_matrix import group_member

    client.force_login(group_member("Support"))
    assert client.get(USAGE).status_code == 200
    page = client.get(reverse("admin:activity_delivery_changelist")).content.decode()
    assert 'value="replay"' not in page


def test_staff_without_the_report_permission_see_neither_the_report_nor_its_csv(
    client, endpoint, db
):
    from django.contrib.auth import get_user_model

    UsageEvent.objects.create(
        customer=endpoint.customer, document_type="invoice", document_id="inv_1",
        currency="EUR", amount=10, occurred_at=timezone.now(),
    )  # fmt: skip
    bare = get_user_model().objects.create_user(email="bare@partner.example")
    bare.is_staff = True
    bare.save()
    client.force_login(bare)
    assert client.get(USAGE).status_code == 403
    export = client.get(USAGE, {"export": "csv"})
    assert export.status_code == 403 and b"HYPERLINK" not in export.content


def test_a_kept_delivery_is_deleted_only_by_staff_allowed_to(client, endpoint, db):
    from django.contrib.auth.models import Permission

    from tests.tenants.test_permission_matrix import group_member

    failed = Delivery.objects.create(
        customer=endpoint.customer, endpoint_id=endpoint.endpoint_id, body_sha256="f" * 64,
        body=b"{}", error="another entity",
    )  # fmt: skip
    delete = reverse("admin:activity_delivery_delete", args=[failed.pk])
    operations = group_member("Operations")
    client.force_login(operations)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Delivery.objects.filter(pk=failed.pk).exists()
    operations.user_permissions.add(Permission.objects.get(codename="delete_delivery"))
    client.force_login(operations)
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Delivery.objects.filter(pk=failed.pk).exists()


def test_with_bad_filters_no_report_is_shown_as_if_empty(client, staff, endpoint):
    client.force_login(staff)
    html = client.get(USAGE, {"months": "abc"}).content.decode()
    assert "Correct the filters above" in html
    assert "No documents in this period." not in html and 'id="usage-chart"' not in html
