"""Partner staff in a real browser: edit a provisioned customer's details, resend an invitation."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-password-1"


@pytest.fixture
def invited_demo(simulator):
    # Space Invoices answering send_invite:false with a pending invitation (see the contract).
    simulator.behaviour(send_invite_false="pending_invitation")
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())


def test_details_reach_space_invoices_and_an_invitation_is_resent(
    invited_demo, live_server, browser, simulator, account_key
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/admin/tenants/customer/")
    page.get_by_role("link", name="Acme d.o.o.").click()
    page.get_by_label("City").fill("Kranj")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was changed successfully").wait_for()
    entities = simulator.api("GET", "/entities", account_key).json()["data"]
    assert [e["city"] for e in entities if e["name"] == "Acme d.o.o."] == ["Kranj"]

    page.goto(f"{live_server.url}/admin/tenants/membership/?q=bo%40acme.example")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("resend_invitation")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("in Space Invoices' branding, not yours").wait_for()
    assert simulator.stats()["emails_sent"] == 0
    page.get_by_role("button", name="Yes, resend invitation").click()
    page.get_by_text("Resend invitation: done for 1 memberships.").wait_for()
    assert simulator.stats()["emails_sent"] == 1
