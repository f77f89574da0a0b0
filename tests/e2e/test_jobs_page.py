"""A bulk action in a real browser: its job page follows a real worker to the end."""

from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from jobs.models import Job
from portal.celery import app
from tests.e2e.conftest import staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-password-1"


def broker_switch(url, *, eager: bool) -> None:
    """Point this process's Celery app at another broker. Connections and producers made
    for the old one (an earlier test's eager task made some) are dropped with it."""
    app.conf.update(task_always_eager=eager, broker_url=url)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def demo_seeded(simulator):
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())


@pytest.fixture
def worker(settings, postgres_required, simulator, account_key):
    """A real worker process on Redis (so the test database must be PostgreSQL, which both
    processes share): tasks leave the request and run there."""
    import os
    import signal

    from tests.conftest import require
    from tests.jobs.test_worker_kill import redis_flushed, worker_start
    from tests.log_secrets import process_output_check
    from tests.portal_process import portal_env

    require(redis_flushed(), "needs Redis at 127.0.0.1:6379")
    from tests.jobs.test_worker_kill import BROKER_URL

    broker_switch(BROKER_URL, eager=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the admin then says "queued", not "done"
    process = worker_start({**portal_env(simulator, account_key), "CELERY_BROKER_URL": BROKER_URL})
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process_output_check(process.stdout.read())
        process.stdout.close()
        broker_switch(django_settings.CELERY_BROKER_URL, eager=True)  # as the other tests


def test_a_bulk_sync_is_followed_on_its_job_page_without_reloading(
    demo_seeded, live_server, browser, simulator, worker
):
    simulator.latency(250)  # each customer takes a moment: the page sees the work move
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(page, live_server.url, "staff@example.com", PASSWORD)
    page.goto(f"{live_server.url}/admin/tenants/customer/")
    page.locator("#action-toggle").check()  # every customer on the page
    page.locator("select[name=action]").select_option("sync_members")
    page.get_by_role("button", name="Go").click()
    page.get_by_role("button", name="Yes, sync members").click()
    page.get_by_text("queued for").wait_for()
    job = Job.objects.get()
    assert page.url.endswith(f"/admin/jobs/job/{job.pk}/change/")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads
    total = job.items.count()
    done = page.locator('[data-count="done"]')
    try:
        done.filter(has_text=str(total)).wait_for(timeout=60_000)
    except Exception:
        raise AssertionError(
            f"stuck at {list(job.items.values_list('state', 'message'))}"
        ) from None
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator('[data-count="pending"]').inner_text() == "0"
    states = page.locator('td[data-field="state"]').all_inner_texts()
    assert states == ["Done"] * total
    assert job.counts()["done"] == total

    # One customer's page: its drift check runs at once, and the page shows the outcome.
    page.goto(f"{live_server.url}/admin/tenants/customer/")
    page.get_by_role("link", name="Acme d.o.o.").click()
    page.get_by_text("Never checked").wait_for()
    page.get_by_role("link", name="Check drift from Space Invoices").click()
    page.get_by_role("button", name="Yes, check drift").click()
    page.get_by_text("Check drift: done for 1 customer.").wait_for()
    assert page.get_by_text("In line with Space Invoices at").count() == 1
    assert Job.objects.count() == 1  # a page's button acts at once, no job
