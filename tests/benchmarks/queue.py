"""``make bench``: 1,000 customers' members synced through the queue by 2 workers, under
Space Invoices' rate limit of 600 a minute (the simulator enforces it), on a compressed
clock: the minute lasts 6 s for both the simulator and the portal's budget, so the run
takes a tenth of the time it would take for real."""

import subprocess
import sys
import time

from tests.simulator_process import ROOT

CUSTOMERS = 1000
LIMIT = 600
PERIOD = 6.0  # seconds standing in for a minute
BROKER = "redis://127.0.0.1:6379/13"


def redis_flushed() -> bool:
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_timeout=2).flushdb()
        return True
    except Exception:
        return False


def queue_sync(stack) -> dict:
    from jobs.models import Job, JobItem
    from tenants.models import Customer

    if not redis_flushed():
        return {"skipped": f"needs Redis at {BROKER}"}
    # Entities made straight at the simulator (the portal's provisioning is measured
    # elsewhere), each customer pointing at its own.
    Customer.objects.filter(slug__startswith="q-").delete()
    for n in range(CUSTOMERS):
        entity = stack.simulator.api(
            "POST", "/entities", stack.account_key, json={"name": f"Q {n}", "country": "Austria"}
        ).json()
        Customer.objects.create(
            name=f"Q {n}", slug=f"q-{n:04}", country="Austria", entity_id=entity["id"],
            provisioning_state="provisioned",
        )  # fmt: skip
    env = {
        **stack.env,
        "CELERY_BROKER_URL": BROKER,
        "SPACEINVOICES_RATE_LIMIT": str(LIMIT),
        "SPACEINVOICES_RATE_PERIOD": str(PERIOD),
    }
    stack.simulator.rate_limit(LIMIT, period_seconds=PERIOD)
    calls_before = sum(stack.simulator.stats()["requests"].values())
    slugs = [f"q-{n:04}" for n in range(CUSTOMERS)]
    subprocess.run(
        [sys.executable, "manage.py", "sync_members", "--customer", *slugs, "--queue"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    job = Job.objects.latest("pk")
    started = time.monotonic()
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
               "--without-gossip", "--without-mingle", "--loglevel=WARNING"]  # fmt: skip
    workers = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    try:
        while JobItem.objects.filter(job=job, state__in=["pending", "running"]).exists():
            time.sleep(0.5)
            if time.monotonic() - started > 1800:
                raise RuntimeError("the queued sync did not finish in 30 minutes")
        wall = time.monotonic() - started
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    stats = stack.simulator.stats()
    calls = sum(stats["requests"].values()) - calls_before
    stack.simulator.rate_limit(0)
    return {
        "customers": CUSTOMERS,
        "done": job.counts()["done"],
        "wall_s": round(wall, 1),
        "wall_s_at_real_scale": round(wall * 60 / PERIOD),
        "calls": calls,
        "calls_per_minute": round(calls / (wall / PERIOD)),
        "limit_per_minute": LIMIT,
        "rate_limited_429s": stats["rate_limited"],
    }
