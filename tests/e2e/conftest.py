"""A real chromium, driven by Playwright, against a live portal and the simulator."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(chromium_path):
    # The test touches the ORM from the thread where Playwright runs its event loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright's loop runs, Django keeps the test's database connections apart
        # from the thread's own (one set per async context), and nothing else closes them:
        # left open, they kept PostgreSQL from dropping the test database at the end.
        connections.close_all()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def totp_from_secret(secret: str) -> str:
    """What an authenticator app shows for the key printed on the enrolment page."""
    from base64 import b32decode

    from django_otp.oath import totp

    key = b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def staff_sign_in(page, base_url: str, email: str, password: str) -> None:
    """Password, then the second factor as a person does it: enrol on first sign-in (read the
    key off the page, type the app's code, pass the recovery codes), else type a code."""
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Set up a second factor").wait_for()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(totp_from_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    page.get_by_role("link", name="I have saved them, continue").click()


DEMO_PASSWORD = "demo-password-1"


@pytest.fixture
def demo(simulator):
    """The demo customers of `make run`, provisioned at the simulator."""
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())


def log_in(page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
