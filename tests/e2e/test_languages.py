"""A customer switches the portal to Slovenian in a real browser: the page stays, the company
page, a refusal and the password-reset email all speak Slovenian."""

import re

import pytest
from django.core import mail

from tenants.models import User
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_to_slovenian_carries_through_pages_refusals_and_email(
    demo, live_server, browser, simulator, settings, artifacts
):
    settings.PORTAL_BASE_URL = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, "ana@acme.example")
    page.get_by_role("heading", name="Your companies").wait_for()
    home = page.url

    page.get_by_role("button", name="Slovenščina").click()
    page.get_by_role("heading", name="Vaša podjetja").wait_for()
    assert page.url == home  # the same page, now in Slovenian
    assert page.locator("html").get_attribute("lang") == "sl"
    assert page.get_by_role("button", name="Slovenščina").is_disabled()  # the current one
    assert User.objects.get(email="ana@acme.example").language == "sl"

    page.get_by_role("link", name="Acme d.o.o.").click()
    page.get_by_role("heading", name="Vaša ekipa").wait_for()
    assert page.get_by_text("Vaša vloga:").is_visible()
    page.screenshot(path=artifacts / "company-page-sl.png")

    simulator.fault(path_prefix="/entities/users/", method="POST", status=503, count=30)
    page.get_by_role("button", name="Odpri izdajanje računov").click()
    page.get_by_role("heading", name="Izdajanje računov trenutno ni na voljo").wait_for()
    assert page.get_by_role("button", name="Poskusi znova").is_visible()
    page.screenshot(path=artifacts / "refusal-sl.png")
    simulator.clear_faults()

    page.get_by_role("button", name="Odjava").click()
    page.get_by_role("link", name="Ste pozabili geslo ali ga nastavljate prvič?").click()
    page.get_by_label("E-pošta").fill("ana@acme.example")
    page.get_by_role("button", name="Pošlji povezavo").click()
    page.get_by_role("heading", name="Preverite e-pošto").wait_for()
    message = mail.outbox[-1]
    assert message.to == ["ana@acme.example"]
    assert message.subject.endswith(": izberite geslo")
    assert message.body.startswith("Pozdravljeni,")
    assert "Povezava deluje enkrat in poteče v nekaj dneh." in message.body
    page.goto(re.search(r"https?://\S+/accounts/reset/\S+", message.body).group(0))
    page.get_by_role("heading", name="Izberite geslo").wait_for()
