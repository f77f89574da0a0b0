"""A real Celery worker on Redis, killed with SIGKILL half-way through a bulk job: a new
worker finishes it, every customer ends done, and each upstream effect happened once."""

import os
import signal
import subprocess
import sys
import time

import pytest

from jobs.models import Job, JobItem
from tenants.services import customer_provision
from tests.conftest import require
from tests.log_secrets import process_output_check
from tests.portal_process import command_run, portal_env
from tests.simulator_process import ROOT

pytestmark = [pytest.mark.process, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
CUSTOMERS = 50


def redis_flushed() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(BROKER_URL, socket_timeout=2)
        client.flushdb()  # a broker of our own for this test: no stale tasks from before
        return True
    except Exception:
        return False


def worker_start(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def done() -> int:
    return JobItem.objects.filter(state=JobItem.State.DONE).count()


def test_a_killed_worker_leaves_no_customer_behind_and_nothing_done_twice(
    postgres_required, make_customer, make_member, simulator, account_key
):
    require(redis_flushed(), f"needs Redis at {BROKER_URL}")
    customers = []
    for n in range(CUSTOMERS):
        customer = customer_provision(customer=make_customer(name=f"Queue {n:02}"), actor="t")
        make_member(customer, f"m{n}@queue.example", "editor")  # the sync adds this user
        customers.append(customer)
    env = {
        **portal_env(simulator, account_key),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_VISIBILITY_TIMEOUT": "5",  # a killed worker's task is handed on quickly
    }
    queued = command_run(env, "sync_members", "--all", "--queue")
    assert queued.returncode == 0, queued.stdout + queued.stderr
    job = Job.objects.get()
    simulator.latency(60)  # each sync takes a few calls: the kill lands mid-job
    first = worker_start(env)
    try:
        wait_for(lambda: done() >= 10, 120, "the first worker to finish ten customers")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        process_output_check(first.stdout.read())
        first.stdout.close()
    assert done() < CUSTOMERS, "the kill came too late to test anything"
    second = worker_start(env)
    try:
        wait_for(lambda: done() == CUSTOMERS, 180, "the second worker to finish the job")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
        process_output_check(second.stdout.read())
        second.stdout.close()
    assert job.counts() == {"pending": 0, "running": 0, "done": CUSTOMERS, "failed": 0}
    # Each customer's user was added once: one user per entity, and as many adds acted on
    # as customers (a repeat with the same request id replays, it does not add again).
    assert simulator.stats()["users"] == CUSTOMERS
    adds = [rid for rid in simulator.request_ids("POST /entities/users") if rid]
    assert len(set(adds)) == CUSTOMERS
