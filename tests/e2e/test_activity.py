"""Activity and usage in a real browser: a company admin sees this month's invoices made in
Space Invoices and opts in to overdue emails; partner staff see the usage chart and export it."""

from io import StringIO

import pytest
from django.core.management import call_command

from tenants.models import Customer
from tests.e2e.conftest import DEMO_PASSWORD, log_in, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def webhooked_demo(live_server, settings, simulator):
    """The demo customers, their webhook endpoints pointing at the live portal."""
    settings.PORTAL_BASE_URL = live_server.url
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())


def issue(simulator, slug: str, total: float) -> dict:
    customer = Customer.objects.get(slug=slug)
    key = customer.api_keys.active().get().key
    answer = simulator.api(
        "POST", "/invoices", key, headers={"x-entity-id": customer.entity_id},
        json={"customer": {"name": "Buyer"}, "items": [{"name": "Work", "price": total}]},
    )  # fmt: skip
    assert answer.status_code == 201
    return answer.json()


def test_a_company_page_shows_this_months_invoices_and_overdue_emails_can_be_chosen(
    webhooked_demo, live_server, browser, simulator
):
    issue(simulator, "acme", 400.0)
    issue(simulator, "acme", 100.0)
    simulator.deliveries_settled()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, "ana@acme.example")  # two companies: the home page
    page.get_by_role("link", name="Acme d.o.o.").click()
    issued = page.locator("[data-tally=issued]")
    assert issued.locator(".count").inner_text() == "2"
    assert issued.locator(".amount").inner_text() == "€500.00"
    assert page.locator("[data-tally=overdue] .count").inner_text() == "0"
    page.get_by_label("Email me when an invoice becomes overdue").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("You will be emailed when an invoice becomes overdue.").wait_for()
    assert page.get_by_label("Email me when an invoice becomes overdue").is_checked()

    simulator.clock_advance(31)  # both fall due in 30 days; the sample invoices are older
    simulator.deliveries_settled()
    page.locator("a.brand").click()  # home: a card per company
    badge = page.locator("li.card").filter(has_text="Acme d.o.o.").locator(".overdue-badge")
    assert badge.get_attribute("data-overdue") == "4"
    badge.get_by_role("link").click()
    assert page.locator("[data-tally=overdue] .count").inner_text() == "4"


def test_a_viewer_below_the_shared_access_floor_is_told_why_and_shown_no_figures(
    webhooked_demo, live_server, browser, simulator
):
    """Below the floor a partner set for shared access, the company's invoicing is not
    theirs to see: no figures, and no sentence promising an administrator's rights there."""
    issue(simulator, "globex", 250.0)
    simulator.deliveries_settled()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, "dee@globex.example")  # viewer; Globex uses shared access
    button = page.get_by_role("button", name="Open invoicing")
    assert button.is_disabled()
    assert "needs the editor role or higher" in page.locator("#launch-blocked").inner_text()
    assert page.get_by_text("an administrator's rights").count() == 0
    assert page.locator("[data-tally]").count() == 0


def test_staff_see_the_usage_chart_filter_it_and_export_it(
    webhooked_demo, live_server, browser, simulator
):
    for total in (10.0, 20.0, 30.0):
        issue(simulator, "acme", total)
    issue(simulator, "globex", 50.0)
    simulator.deliveries_settled()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Usage events").click()
    chart = page.locator("#usage-chart")
    bars = chart.locator("g.bar")
    assert bars.count() == 12
    assert bars.last.get_attribute("data-count") == "4"  # this month: 3 + 1
    page.get_by_label("Customer").select_option(label="Acme d.o.o.")
    page.get_by_role("button", name="Show").click()
    assert page.locator("#usage-chart g.bar").last.get_attribute("data-count") == "3"
    row = page.locator("#usage-table tbody tr").first
    assert "Acme d.o.o." in row.inner_text() and "€60.00" in row.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path()) as csv_file:
        text = csv_file.read().splitlines()
    assert text[0] == "month,customer,document_type,count,currency,amount"
    assert text[1].endswith(",Acme d.o.o.,invoice,3,EUR,60.00")
    page.get_by_label("Months").fill("99")
    page.get_by_role("button", name="Show").click()
    assert "less than or equal to 36" in page.locator("#months-errors").inner_text()


def test_staff_rotate_a_webhook_secret_and_replay_a_delivery(
    webhooked_demo, live_server, browser, simulator
):
    issue(simulator, "acme", 10.0)
    simulator.deliveries_settled()
    acme = Customer.objects.get(slug="acme")
    old = acme.webhook_endpoints.get().endpoint_id
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/admin/tenants/customer/")
    page.get_by_role("link", name="Acme d.o.o.").click()
    page.get_by_role("link", name="Rotate webhook secret").click()
    page.get_by_text("Deliveries signed with either secret are accepted").wait_for()
    page.get_by_role("button", name="Yes, rotate webhook secret").click()
    page.get_by_text("Rotate webhook secret: done for 1").wait_for()
    new = acme.webhook_endpoints.active().get().endpoint_id
    assert new != old
    # The endpoints page shows both, never a secret.
    page.goto(f"{live_server.url}/admin/tenants/webhookendpoint/")
    listing = page.locator("#result_list").inner_text()
    assert new in listing and old in listing and "whsec_" not in page.content()
    # A delivery from the new endpoint arrives; staff replay it from the inbox.
    issue(simulator, "acme", 20.0)
    simulator.deliveries_settled()
    page.goto(f"{live_server.url}/admin/activity/delivery/")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("replay")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("Processed 1 delivery again.").wait_for()


def test_staff_delete_a_delivery_that_never_will_be_processed(webhooked_demo, live_server, browser):
    from activity.models import Delivery

    acme = Customer.objects.get(slug="acme")
    stuck = Delivery.objects.create(
        customer=acme, endpoint_id=acme.webhook_endpoints.get().endpoint_id,
        event="invoice.created", body_sha256="f" * 64, body=b"{}",
        error="the event is about another entity",
    )  # fmt: skip
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/admin/activity/delivery/")
    row = page.locator("#result_list tbody tr").filter(has_text="about another entity")
    row.get_by_role("link").first.click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, I\u2019m sure").click()
    page.get_by_text("was deleted successfully").wait_for()
    assert not Delivery.objects.filter(pk=stuck.pk).exists()
