"""The demo click-through in a real browser: log in, Open invoicing, land in the dashboard."""

import pytest

from tests.e2e.conftest import log_in

# The database fixtures come before the browser: ORM work inside Playwright's event loop
# would open a connection that is never closed.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_mode_click_through(demo, live_server, browser, simulator, artifacts):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    log_in(page, live_server.url, "bo@acme.example")
    assert page.get_by_role("heading", name="Acme d.o.o.").is_visible()
    page.get_by_role("button", name="Open invoicing").click()
    page.wait_for_url(f"{simulator.embed_url}?token=*")
    assert page.locator("#entity").inner_text() == "Acme d.o.o."
    assert page.locator("#user").inner_text() == "bo@acme.example"
    assert page.locator("#role").inner_text() == "viewer"
    page.screenshot(path=artifacts / "open-invoicing-user-mode.png")
    assert (artifacts / "open-invoicing-user-mode.png").stat().st_size > 1000
    # The token worked once: going back to it is refused.
    page.reload()
    assert "already used" in page.locator("#reason").inner_text()


def test_key_mode_click_through_on_a_phone(demo, live_server, browser, simulator, artifacts):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    log_in(page, live_server.url, "cy@globex.example")
    page.get_by_role("button", name="Open invoicing").click()
    page.wait_for_url(f"{simulator.embed_url}?token=*")
    assert page.locator("#entity").inner_text() == "Globex GmbH"
    assert page.locator("#user").inner_text() == "entity API key session"
    page.screenshot(path=artifacts / "open-invoicing-key-mode-phone.png")


def test_a_refused_role_sees_a_disabled_button_with_the_reason(
    demo, live_server, browser, simulator
):
    page = browser.new_page()
    log_in(page, live_server.url, "dee@globex.example")
    # The portal knows she would be refused: the button is off and says why.
    button = page.get_by_role("button", name="Open invoicing")
    assert button.is_disabled()
    assert (
        "needs the editor role or higher; yours is viewer"
        in page.locator("#launch-blocked").inner_text()
    )
    assert simulator.stats()["tokens_minted"] == 0
