"""Partner staff in a real browser: edit a provisioned customer's details, resend an invitation."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.e2e.conftest import staff_sign_in

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
    staff_sign_in(page, live_server.url, "staff@example.com", PASSWORD)

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
    page.get_by_text("Resend invitation: done for 1 membership.").wait_for()
    assert simulator.stats()["emails_sent"] == 1


def test_staff_sign_in_with_totp_and_rotate_a_key_from_the_customer_page(
    invited_demo, live_server, browser, simulator, account_key
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", PASSWORD)
    page.get_by_role("heading", name="Customers and invoicing").wait_for()

    page.goto(f"{live_server.url}/admin/tenants/customer/")
    # The list fits 1280 px: nothing scrolls sideways, healthy customers say OK.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.locator("td.field-status .status-problem").count() == 0
    page.get_by_role("link", name="Acme d.o.o.").click()
    keys_before = simulator.requests_to("POST /entities/api-keys")
    page.get_by_role("link", name="Rotate entity API key").click()
    page.get_by_text("Launches keep working throughout.").wait_for()
    assert simulator.requests_to("POST /entities/api-keys") == keys_before  # asked first
    page.get_by_role("button", name="Yes, rotate key").click()
    page.get_by_text("Rotate key: done for 1 customer.").wait_for()
    assert page.url.endswith("/change/")  # back on the customer's page
    assert simulator.requests_to("POST /entities/api-keys") == keys_before + 1


def test_a_key_custodian_attaches_a_key_made_elsewhere_from_the_customer_page(
    invited_demo, live_server, browser, simulator, account_key, make_customer
):
    """Only the key permission: the customer's fields are read-only for this user, yet the
    page's button attaches the key, after a wrong one is refused on its field."""
    from tenants.models import User
    from tests.fixtures_portal import entity_made_elsewhere, staff_group

    custodian = User.objects.create_user(
        email="keys@partner.example", password=PASSWORD, is_staff=True
    )
    custodian.groups.add(staff_group("Key custodian"))
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(name="Made elsewhere", access_mode="api_key")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "keys@partner.example", PASSWORD)

    page.goto(f"{live_server.url}/admin/tenants/customer/{customer.pk}/change/")
    page.get_by_role("link", name="Attach an entity API key").click()
    page.get_by_label("Entity API key").fill("ek_sandbox_" + "0" * 32)
    page.get_by_label("Entity id for that key").fill(entity_id)
    page.get_by_role("button", name="Check and attach").click()
    page.locator(".errors", has_text="Space Invoices does not accept that key.").wait_for()
    assert not customer.api_keys.exists()
    assert page.get_by_label("Entity API key").input_value() == ""  # never sent back
    page.get_by_label("Entity API key").fill(key)
    page.get_by_role("button", name="Check and attach").click()
    page.get_by_text("The key was checked and attached.").wait_for()
    assert page.url.endswith(f"/customer/{customer.pk}/change/")
    assert key not in page.content()
    customer.refresh_from_db()
    assert customer.entity_id == entity_id and customer.api_keys.active().get().key == key


def test_csv_import_from_the_customer_list_previews_then_imports(
    invited_demo, live_server, browser, simulator, settings, tmp_path
):
    from tenants.models import Customer

    settings.PORTAL_IMPORT_DIR = tmp_path
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", PASSWORD)
    page.goto(f"{live_server.url}/admin/tenants/customer/")
    page.get_by_role("link", name="Import from CSV").click()
    csv = b"name,slug,country,members\nNew Co,new-co,Italy,ana@new.example:admin\n,bad,Italy,\n"
    page.set_input_files("input[name=file]", files=[
        {"name": "c.csv", "mimeType": "text/csv", "buffer": csv}
    ])  # fmt: skip
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("row 3, column name: This field is required.").wait_for()
    assert page.locator("#count-invalid").inner_text() == "1"
    assert page.get_by_role("button", name="Import 2 rows").count() == 0  # all or none
    page.set_input_files("input[name=file]", files=[
        {"name": "c.csv", "mimeType": "text/csv", "buffer": csv.rsplit(b",bad", 1)[0]}
    ])  # fmt: skip
    page.get_by_role("button", name="Check the file").click()
    assert page.locator("#count-new").inner_text() == "1"
    assert not Customer.objects.filter(slug="new-co").exists()
    page.get_by_role("button", name="Import 1 row").click()
    page.get_by_text("Imported: 1 new customer(s), left pending").wait_for()
    assert Customer.objects.get(slug="new-co").provisioning_state == "pending"
    # Again, with a colleague made admin: the existing customer is said to be changed.
    page.get_by_role("link", name="Import from CSV").click()
    again = (
        b'Name;Slug;Country;Members\nNew Co;new-co;Italy;"ana@new.example;bo@new.example:admin"\n'
    )
    page.set_input_files("input[name=file]", files=[
        {"name": "c.csv", "mimeType": "text/csv", "buffer": again}
    ])  # fmt: skip
    page.get_by_role("button", name="Check the file").click()
    assert page.locator("#count-changed").inner_text() == "1"
    page.get_by_role("button", name="Import 1 row").click()
    page.get_by_text("Imported: 1 existing customer(s) changed.").wait_for()
    roles = Customer.objects.get(slug="new-co").memberships.values_list("user__email", "role")
    assert dict(roles) == {"ana@new.example": "admin", "bo@new.example": "admin"}


def test_staff_switch_the_admin_to_german_and_confirm_an_action_in_it(
    invited_demo, live_server, browser, simulator
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", PASSWORD)
    page.goto(f"{live_server.url}/admin/tenants/customer/")
    customers = page.url
    page.get_by_role("button", name="Deutsch").click()
    page.get_by_role("link", name="Aus CSV importieren").wait_for()
    assert page.url == customers  # the same page, now in German
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_role("row").filter(has_text="Acme d.o.o.").locator(
        "input[name=_selected_action]"
    ).check()
    page.locator("select[name=action]").select_option("rotate_key")
    page.get_by_role("button", name="Ausführen").click()
    page.get_by_role("button", name="Ja, Schlüssel austauschen").click()
    page.get_by_text("Schlüssel austauschen: erledigt, Kunde: 1.").wait_for()


def test_a_disable_space_invoices_does_not_confirm_is_said_and_finished_from_the_page(
    invited_demo, live_server, browser, simulator, account_key
):
    """Space Invoices down: the page says launches are blocked here only, the list marks
    it, and Disable, still offered, finishes it once Space Invoices is back."""
    from tenants.models import Customer

    acme = Customer.objects.get(slug="acme")

    def enabled_upstream() -> bool:
        return simulator.api("GET", f"/entities/{acme.entity_id}", account_key).json()["is_enabled"]

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", PASSWORD)
    page.goto(f"{live_server.url}/admin/tenants/customer/")
    page.get_by_role("link", name="Acme d.o.o.").click()
    simulator.fault(path_prefix=f"/entities/{acme.entity_id}/disable", status=503, count=99)
    page.get_by_role("link", name="Disable (blocks Open invoicing)").click()
    page.get_by_role("button", name="Yes, disable").click()
    page.get_by_text(
        "Open invoicing is blocked here, but Space Invoices has not confirmed"
    ).wait_for()
    assert enabled_upstream()
    page.goto(f"{live_server.url}/admin/tenants/customer/")
    row = page.get_by_role("row").filter(has_text="Acme d.o.o.")
    assert "Disabled here only: not confirmed at Space Invoices" in row.inner_text()
    row.get_by_role("link", name="Acme d.o.o.").click()
    simulator.clear_faults()
    page.get_by_role("link", name="Disable (blocks Open invoicing)").click()
    page.get_by_role("button", name="Yes, disable").click()
    page.get_by_text("Disable: done for 1 customer.").wait_for()
    assert not enabled_upstream()
    assert page.get_by_role("link", name="Disable (blocks Open invoicing)").count() == 0


def test_a_wrong_code_then_a_right_one_too_soon_says_to_wait_and_a_recovery_code_still_works(
    invited_demo, live_server, browser
):
    """Enrolment: a right code sent right after a wrong one is told to wait (never 'does
    not match'). Signing in again: a recovery code, typed as people type it, gets in."""
    from tests.e2e.conftest import totp_from_secret

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Set up a second factor").wait_for()
    secret = page.locator("#totp-secret").inner_text()
    right = totp_from_secret(secret)
    page.get_by_label("Code from the app").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("That code does not match").wait_for()
    page.get_by_label("Code from the app").fill(totp_from_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("A wrong code makes the next try wait: wait 1 second").wait_for()
    page.wait_for_timeout(1100)
    page.get_by_label("Code from the app").fill(totp_from_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    code = page.locator("li code").first.inner_text()
    page.get_by_role("link", name="I have saved them, continue").click()

    other = browser.new_context().new_page()
    other.goto(f"{live_server.url}/admin/login/")
    other.get_by_label("Email address").fill("staff@example.com")
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Log in").click()
    other.get_by_role("heading", name="Confirm it is you").wait_for()
    other.get_by_label("Code", exact=True).fill(f"{code[:4]}-{code[4:]}".upper())
    other.get_by_role("button", name="Continue").click()
    other.get_by_role("heading", name="Customers and invoicing").wait_for()
