"""End customers in a real browser: Try again after an outage and after the rate limit, a
role change during an outage, a password reset from the email, and a lockout."""

import re
import time

import pytest
from django.core import mail

from tests.e2e.conftest import log_in
from tests.fixtures_portal import upstream_users

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_try_again_after_an_outage_lands_in_invoicing(demo, live_server, browser, simulator):
    page = browser.new_page()
    log_in(page, live_server.url, "bo@acme.example")
    simulator.fault(path_prefix="/entities/users/", method="POST", status=503, count=30)
    page.get_by_role("button", name="Open invoicing").click()
    page.get_by_role("heading", name="Invoicing is unavailable right now").wait_for()
    simulator.clear_faults()  # Space Invoices is back
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url(f"{simulator.embed_url}?token=*")
    assert page.locator("#user").inner_text() == "bo@acme.example"


def test_try_again_after_redis_was_unreachable_lands_in_invoicing(
    demo, live_server, browser, simulator, settings
):
    """The rate limit's store out: the same branded page, which does not blame Space
    Invoices, and its Try again works once the store is back."""
    from spaceinvoices.factory import _budget

    page = browser.new_page()
    log_in(page, live_server.url, "bo@acme.example")
    working = settings.CACHES
    settings.CACHES = {
        "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    _budget.cache_clear()  # built on the cache it first met
    try:
        page.get_by_role("button", name="Open invoicing").click()
        page.get_by_role("heading", name="Invoicing is unavailable right now").wait_for()
        assert page.get_by_text("We have been told. Please try again in a moment.").is_visible()
        assert simulator.stats()["tokens_minted"] == 0
    finally:
        settings.CACHES = working  # the store is back
        _budget.cache_clear()
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url(f"{simulator.embed_url}?token=*")
    assert page.locator("#user").inner_text() == "bo@acme.example"


def test_try_again_after_the_rate_limit_lands_in_invoicing(
    demo, live_server, browser, simulator, settings
):
    settings.PORTAL_LAUNCH_RATE = "1/s"  # a short window, so the test need not wait a minute
    page = browser.new_page()
    log_in(page, live_server.url, "bo@acme.example")
    customer_page = page.url
    for _ in range(20):  # until two launches fall in one window
        page.goto(customer_page)
        page.get_by_role("button", name="Open invoicing").click()
        page.wait_for_load_state()
        if page.get_by_role("heading", name="Too many attempts").count():
            break
    assert page.get_by_role("heading", name="Too many attempts").is_visible()
    time.sleep(1.1)  # the window turns
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url(f"{simulator.embed_url}?token=*")
    assert page.locator("#entity").inner_text() == "Acme d.o.o."


def test_a_role_change_during_an_outage_shows_as_pending(
    demo, live_server, browser, simulator, account_key, artifacts
):
    from tenants.models import Customer

    acme = Customer.objects.get(slug="acme")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, "ana@acme.example")
    page.get_by_role("link", name="Acme d.o.o.").click()
    simulator.fault(path_prefix="/entities/users", status=503, count=60)
    page.get_by_label("Role of bo@acme.example").select_option("editor")
    row = page.get_by_role("row").filter(has_text="bo@acme.example")
    row.get_by_role("button", name="Change").click()
    status = page.get_by_role("status")
    status.wait_for()
    assert "saved here as editor; invoicing has not confirmed the change yet" in status.inner_text()
    assert "is now editor" not in page.content()
    row = page.get_by_role("row").filter(has_text="bo@acme.example")
    assert (
        "not yet confirmed by invoicing: until the next sync they may still be viewer there"
        in row.inner_text()
    )
    page.screenshot(path=artifacts / "team-change-pending.png")
    simulator.clear_faults()
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "viewer"


def test_remove_asks_first(demo, live_server, browser, simulator, account_key):
    from tenants.models import Customer

    acme = Customer.objects.get(slug="acme")
    page = browser.new_page()
    log_in(page, live_server.url, "ana@acme.example")
    page.get_by_role("link", name="Acme d.o.o.").click()
    page.get_by_role("link", name="Remove bo@acme.example").click()
    page.get_by_role("link", name="Keep them, go back").click()
    assert page.get_by_role("row").filter(has_text="bo@acme.example").count() == 1
    page.get_by_role("link", name="Remove bo@acme.example").click()
    page.get_by_role("button", name="Remove bo@acme.example").click()
    assert "bo@acme.example was removed." in page.get_by_role("status").inner_text()
    assert "bo@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)


def test_an_added_colleague_shows_as_added_and_a_turned_off_account_is_refused(
    demo, live_server, browser, simulator, account_key
):
    from tenants.models import Customer, User

    User.objects.create_user(email="gone@acme.example", password="pw-gone-1234", is_active=False)
    acme = Customer.objects.get(slug="acme")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, "ana@acme.example")
    page.get_by_role("link", name="Acme d.o.o.").click()
    page.get_by_label("Colleague's email").fill("cy@acme.example")
    page.get_by_role("button", name="Add", exact=True).click()
    assert "cy@acme.example was added as viewer." in page.get_by_role("status").inner_text()
    row = page.get_by_role("row").filter(has_text="cy@acme.example")
    assert "Added; has not chosen a password yet" in row.inner_text()
    assert upstream_users(simulator, account_key, acme.entity_id)["cy@acme.example"] == "viewer"

    page.get_by_label("Colleague's email").fill("gone@acme.example")
    page.get_by_role("button", name="Add", exact=True).click()
    error = page.locator("#add-email-errors").inner_text()
    assert "gone@acme.example's account is turned off, so they cannot be added" in error
    assert page.get_by_role("row").filter(has_text="gone@acme.example").count() == 0
    assert "gone@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)


def password_choose_by_email(page, live_server, email: str, password: str) -> None:
    """From the reset form on screen: ask for the link, open it from the email, choose."""
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    message = mail.outbox[-1]
    assert message.to == [email] and message.subject.endswith(": choose your password")
    link = re.search(r"https?://\S+/accounts/reset/\S+", message.body).group(0)
    assert link.startswith(live_server.url)  # PORTAL_BASE_URL, not the Host header
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again").fill(password)
    page.get_by_role("button", name=re.compile("password", re.I)).click()


def test_password_reset_from_the_email_to_the_dashboard(demo, live_server, browser, settings):
    settings.PORTAL_BASE_URL = live_server.url
    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password, or setting it for the first time?").click()
    password_choose_by_email(page, live_server, "bo@acme.example", "brand-new-secret-58")
    log_in(page, live_server.url, "bo@acme.example", password="brand-new-secret-58")
    page.get_by_role("heading", name="Acme d.o.o.").wait_for()
    page.get_by_role("button", name="Open invoicing").click()
    page.wait_for_url(re.compile(r"token="))


def test_a_lockout_says_how_long_and_a_new_password_ends_it(demo, live_server, browser, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.PORTAL_BASE_URL = live_server.url
    page = browser.new_page()
    for _ in range(3):
        log_in(page, live_server.url, "bo@acme.example", password="not-it")
    log_in(page, live_server.url, "bo@acme.example")  # the right one, too late
    page.get_by_role("heading", name="Too many failed attempts").wait_for()
    assert "paused for another 15 minutes" in page.locator("main").inner_text()
    page.get_by_role("link", name="choose a new password by email").click()
    password_choose_by_email(page, live_server, "bo@acme.example", "brand-new-secret-58")
    log_in(page, live_server.url, "bo@acme.example", password="brand-new-secret-58")
    page.get_by_role("heading", name="Acme d.o.o.").wait_for()


def test_the_home_page_of_two_companies_and_the_password_change_link(
    demo, live_server, browser, simulator
):
    from tenants.models import Customer

    Customer.objects.filter(slug="acme").update(is_active=False)
    page = browser.new_page()
    log_in(page, live_server.url, "ana@acme.example")
    page.get_by_role("heading", name="Your companies").wait_for()
    # Acme is turned off: its button is off and says why; Globex launches.
    assert page.get_by_role("button", name="Open invoicing for Acme d.o.o.").is_disabled()
    assert "Invoicing is turned off. To have it turned on again for Acme d.o.o.," in (
        page.locator("main").inner_text()
    )
    page.get_by_role("button", name="Open invoicing for Globex GmbH").click()
    page.wait_for_url(f"{simulator.embed_url}?token=*")
    assert page.locator("#entity").inner_text() == "Globex GmbH"
    page.go_back()
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill("demo-password-1")
    page.get_by_label("New password", exact=True).fill("another-secret-77")
    page.get_by_label("New password again").fill("another-secret-77")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name=re.compile("changed", re.I)).wait_for()


def test_an_address_with_a_nul_byte_gets_the_branded_page_and_a_way_back(
    demo, live_server, browser
):
    page = browser.new_page()
    log_in(page, live_server.url, "ana@acme.example")
    answer = page.goto(f"{live_server.url}/?q=%00")
    assert answer.status == 400
    page.get_by_role("heading", name="We could not read that request").wait_for()
    assert page.get_by_text("ana@acme.example").is_visible()  # still signed in, on brand
    page.get_by_role("link", name="Back to your companies").click()
    page.get_by_role("heading", name="Your companies").wait_for()


def test_a_turned_off_company_s_admin_sees_why_and_can_still_remove(
    demo, live_server, browser, simulator, account_key
):
    from tenants.models import Customer

    Customer.objects.filter(slug="acme").update(is_active=False)
    acme = Customer.objects.get(slug="acme")
    page = browser.new_page()
    log_in(page, live_server.url, "ana@acme.example")
    page.get_by_role("link", name="Acme d.o.o.").click()
    assert "colleagues cannot be added" in page.locator("#team-frozen").inner_text()
    assert page.get_by_role("button", name="Add", exact=True).count() == 0
    assert page.get_by_label("Role of bo@acme.example").count() == 0
    page.get_by_role("link", name="Remove bo@acme.example").click()
    page.get_by_role("button", name="Remove bo@acme.example").click()
    assert "bo@acme.example was removed." in page.get_by_role("status").inner_text()
    assert "bo@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)
