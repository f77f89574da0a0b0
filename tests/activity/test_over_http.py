"""The whole path over real HTTP: the simulator signs and sends, the portal's live server
receives, and what happened shows on the company's page and in the usage report."""

import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from activity.models import Delivery, InvoiceActivity, UsageEvent
from tenants.services import customer_provision
from tenants.services.webhooks import RECEIVER_PATH
from tests.webhook_sink import WebhookSink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portal_url(live_server, settings):
    """Space Invoices delivers to the live server: it is the PORTAL_BASE_URL."""
    settings.PORTAL_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def acme(portal_url, make_customer, make_member, simulator):
    customer = make_customer(name="Acme d.o.o.", slug="acme")
    make_member(customer, "ana@acme.example", "admin")
    make_member(customer, "bo@acme.example", "viewer")
    return customer_provision(customer=customer, actor="test")


def issue(simulator, customer, total: float, currency: str = "EUR") -> dict:
    """An invoice made in Space Invoices (as the customer would, in the embed)."""
    key = customer.api_keys.active().get().key
    answer = simulator.api(
        "POST", "/invoices", key, headers={"x-entity-id": customer.entity_id},
        json={"customer": {"name": "Buyer"}, "currency_code": currency,
              "items": [{"name": "Work", "quantity": 1, "price": total}]},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()


def pay(simulator, customer, invoice: dict) -> None:
    key = customer.api_keys.active().get().key
    answer = simulator.api(
        "POST", "/payments", key, headers={"x-entity-id": customer.entity_id},
        json={"document_id": invoice["id"], "amount": invoice["total_with_tax"],
              "date": "2026-11-30"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text


def tallies(client) -> dict[str, str]:
    """What the company page says, per tally: its count and amounts, as shown."""
    page = client.get(reverse("customer", args=["acme"])).content.decode()
    found = re.findall(r'data-tally="(\w+)">\s*<dt>[^<]*</dt>\s*<dd>(.*?)</dd>', page, re.S)
    return {name: " ".join(re.sub(r"<[^>]+>", " ", dd).split()) for name, dd in found}


def test_an_invoice_made_upstream_shows_in_activity_and_usage(acme, simulator, login_as, staff):
    invoice = issue(simulator, acme, 250.0)
    issue(simulator, acme, 40.0, currency="USD")
    [first, second] = simulator.deliveries_settled()
    assert first["state"] == second["state"] == "delivered"
    assert tallies(login_as("bo@acme.example")) == {
        "issued": "2 €250.00 $40.00", "paid": "0", "overdue": "0",
    }  # fmt: skip
    pay(simulator, acme, invoice)
    simulator.deliveries_settled()
    assert tallies(login_as("bo@acme.example"))["paid"] == "1 €250.00"
    assert UsageEvent.objects.filter(customer=acme).count() == 2
    login_as(staff.email)
    report = login_as(staff.email).get("/admin/activity/usageevent/").content.decode()
    assert "Acme d.o.o." in report and re.search(r"<td>invoice</td><td>1</td>", report)


def test_a_voided_invoice_leaves_the_months_issued_tally(acme, simulator, login_as):
    issue(simulator, acme, 250.0)
    voided = issue(simulator, acme, 40.0)
    key = acme.api_keys.active().get().key
    answer = simulator.api(
        "POST", f"/invoices/{voided['id']}/void", key, headers={"x-entity-id": acme.entity_id}
    )
    assert answer.status_code == 200, answer.text
    simulator.deliveries_settled()
    assert tallies(login_as("bo@acme.example"))["issued"] == "1 €250.00"


def test_two_failed_attempts_then_the_third_is_processed_once(portal_url, make_customer, simulator):
    simulator.webhook_retries_scale(0.001)  # 1 minute → 60 ms
    proxy = WebhookSink(fail_first=2, forward_to=portal_url + RECEIVER_PATH)
    try:
        from django.conf import settings

        settings.PORTAL_BASE_URL = proxy.url  # deliveries go through the failing proxy
        customer = customer_provision(customer=make_customer(slug="acme"), actor="test")
        invoice = issue(simulator, customer, 99.0)
        [delivery] = simulator.deliveries_settled()
    finally:
        proxy.close()
    assert [r.answered for r in proxy.received] == [500, 500, 200]
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3
    [kept] = Delivery.objects.all()
    assert kept.repeats == 0 and kept.processed_at is not None
    assert UsageEvent.objects.get().document_id == invoice["id"]
    assert InvoiceActivity.objects.get().invoice_id == invoice["id"]


def test_an_answer_lost_after_processing_is_a_repeat_not_a_second_count(
    portal_url, make_customer, simulator
):
    """The portal kept it but its 200 never arrived (here: the proxy says 500 after the
    portal answered): Space Invoices retries, and the retry is recognised."""
    simulator.webhook_retries_scale(0.001)
    proxy = WebhookSink(forward_to=portal_url + RECEIVER_PATH)
    proxy_lies = {"left": 1}
    original = proxy._forward

    def forward_then_fail(headers, body):
        status = original(headers, body)
        if proxy_lies["left"]:
            proxy_lies["left"] -= 1
            return 500
        return status

    proxy._forward = forward_then_fail
    try:
        from django.conf import settings

        settings.PORTAL_BASE_URL = proxy.url
        customer = customer_provision(customer=make_customer(slug="acme"), actor="test")
        issue(simulator, customer, 10.0)
        [delivery] = simulator.deliveries_settled()
    finally:
        proxy.close()
    assert delivery["attempts"] == 2
    [kept] = Delivery.objects.all()
    assert kept.repeats == 1 and UsageEvent.objects.count() == 1


def test_an_overdue_invoice_shows_on_home_and_emails_admins_who_asked(
    acme, simulator, make_customer, make_member, login_as
):
    other = make_customer(name="Other", slug="other")
    make_member(other, "ana@acme.example", "viewer")  # ana has two companies: a home page
    ana = login_as("ana@acme.example")
    answer = ana.post(reverse("overdue_alert_toggle", args=["acme"]), {"enabled": "on"})
    assert answer.status_code == 302
    issue(simulator, acme, 300.0)
    simulator.deliveries_settled()
    mail.outbox.clear()
    # Sample data: one invoice 13 days past due; ours and another fall due within 31 days.
    assert simulator.clock_advance(31) == 3
    simulator.deliveries_settled()
    home = ana.get(reverse("home")).content.decode()
    assert 'data-overdue="3"' in home and "3 overdue invoices" in home
    assert tallies(ana)["overdue"].startswith("3 ")
    assert len(mail.outbox) == 3 and {m.to[0] for m in mail.outbox} == {"ana@acme.example"}
    assert "is overdue" in mail.outbox[0].subject


def test_a_viewer_cannot_choose_overdue_emails(acme, login_as):
    bo = login_as("bo@acme.example")
    answer = bo.post(reverse("overdue_alert_toggle", args=["acme"]), {"enabled": "on"})
    assert answer.status_code == 403
    from activity.models import OverdueAlert

    assert not OverdueAlert.objects.exists()


def test_usage_compare_finds_a_month_in_step_and_a_lost_delivery(acme, simulator, capsys):
    from django.utils import timezone

    month = timezone.now().strftime("%Y-%m")
    issue(simulator, acme, 10.0)
    simulator.deliveries_settled()
    call_command("usage_compare", "--month", month, "--customer", "acme")
    assert "acme: in step: counted 1, Space Invoices lists 1" in capsys.readouterr().out
    Delivery.objects.all().delete()
    UsageEvent.objects.all().delete()  # as if the delivery had never arrived
    with pytest.raises(CommandError, match="1 of 1 customer"):
        call_command("usage_compare", "--month", month, "--customer", "acme")
    assert "differs: counted 0, Space Invoices lists 1" in capsys.readouterr().out


@pytest.mark.parametrize("month", ["November", "2026-1", "2026-13", " 2026-11"])
def test_usage_compare_refuses_a_malformed_month(acme, month, simulator):
    with pytest.raises(CommandError, match="--month must"):
        call_command("usage_compare", "--month", month, "--all")
    assert simulator.stats()["requests"].get("GET /invoices", 0) == 0


def test_usage_compare_refuses_a_month_with_no_month_after_it(acme, simulator):
    with pytest.raises(CommandError, match="from 0001-01 to 9999-11"):
        call_command("usage_compare", "--month", "9999-12", "--all")
    assert simulator.stats()["requests"].get("GET /invoices", 0) == 0


def test_a_captured_delivery_replayed_tampered_or_stale_changes_nothing(
    portal_url, make_customer, simulator
):
    """An attacker who captured one real delivery, over real HTTP to the live portal."""
    import json as jsonlib
    from datetime import UTC, datetime, timedelta

    import requests

    from tests.activity.deliveries import stamp
    from tests.webhook_sink import hmac_signature

    proxy = WebhookSink(forward_to=portal_url + RECEIVER_PATH)  # records what it passes on
    try:
        from django.conf import settings

        settings.PORTAL_BASE_URL = proxy.url
        customer = customer_provision(customer=make_customer(slug="acme"), actor="test")
        issue(simulator, customer, 10.0)
        simulator.deliveries_settled()
    finally:
        proxy.close()
    [captured] = proxy.received
    before = (Delivery.objects.count(), UsageEvent.objects.count(), InvoiceActivity.objects.count())
    url = portal_url + RECEIVER_PATH
    headers = {k: v for k, v in captured.headers.items() if k.startswith("X-Webhook")}
    headers["Content-Type"] = "application/json"

    replayed = requests.post(url, data=captured.body, headers=headers, timeout=10)
    assert replayed.status_code == 200 and replayed.json() == {"outcome": "repeat"}

    tampered = captured.body.replace(b"10.0", b"99.0")  # every amount, signature kept
    assert tampered != captured.body
    assert requests.post(url, data=tampered, headers=headers, timeout=10).status_code == 401

    # Re-signing needs the secret; with it, an old timestamp is still refused.
    old = jsonlib.loads(captured.body)
    old["timestamp"] = stamp(datetime.now(UTC) - timedelta(hours=4))
    old["data"]["id"] = "inv_" + "f" * 24
    body = jsonlib.dumps(old).encode()
    secret = customer.webhook_endpoints.get().secret
    stale = {**headers, "X-Webhook-Signature": hmac_signature(secret, body)}
    assert requests.post(url, data=body, headers=stale, timeout=10).status_code == 400

    after = (Delivery.objects.count(), UsageEvent.objects.count(), InvoiceActivity.objects.count())
    assert after == before == (1, 1, 1)
    assert Delivery.objects.get().repeats == 1


def test_a_partial_payment_lowers_what_is_overdue(acme, simulator, login_as):
    invoice = issue(simulator, acme, 50.0, currency="USD")
    key = acme.api_keys.active().get().key
    headers = {"x-entity-id": acme.entity_id}

    def pay_part(amount: float) -> None:
        answer = simulator.api("POST", "/payments", key, headers=headers,
                               json={"document_id": invoice["id"], "amount": amount,
                                     "date": "2026-11-30"})  # fmt: skip
        assert answer.status_code == 201

    pay_part(10.0)
    simulator.clock_advance(40)
    pay_part(20.0)
    simulator.deliveries_settled()
    overdue = tallies(login_as("ana@acme.example"))["overdue"]
    assert "$20.00" in overdue  # 50 less 30 paid (as English writes dollars)


def test_a_member_who_may_not_open_invoicing_sees_no_figures(
    portal_url, make_customer, make_member, simulator, login_as
):
    customer = make_customer(name="Globex", slug="globex", access_mode="api_key")
    make_member(customer, "dee@globex.example", "viewer")  # below the key-mode floor
    customer = customer_provision(customer=customer, actor="test")
    issue(simulator, customer, 10.0)
    simulator.deliveries_settled()
    page = login_as("dee@globex.example").get(reverse("customer", args=["globex"]))
    html = page.content.decode()
    assert "Your role cannot open invoicing" in html and "data-tally" not in html


def test_an_admin_leaving_the_company_gets_no_overdue_email(acme, simulator, login_as):
    from activity.alerts import overdue_alert_recipients
    from tenants.models import Membership

    login_as("ana@acme.example").post(
        reverse("overdue_alert_toggle", args=["acme"]), {"enabled": "on"}
    )
    assert overdue_alert_recipients(customer=acme) == ["ana@acme.example"]
    Membership.objects.filter(user__email="ana@acme.example").update(sync_state="removing")
    assert overdue_alert_recipients(customer=acme) == []
