"""The launch rate limit holds across two processes that share Redis."""

import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import require
from tests.simulator_process import ROOT

pytestmark = pytest.mark.process

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
COUNT_LAUNCHES = """
import django, os
django.setup()
from django.conf import settings
from portal.throttle import throttle_hit
user = int(os.environ["BENCH_USER"])
rate = settings.PORTAL_LAUNCH_RATE
print(sum(throttle_hit(bucket="launch", key=str(user), rate=rate).allowed for _ in range(8)))
"""


def redis_up() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except Exception:
        return False


def test_two_processes_share_one_limit():
    require(redis_up(), f"needs Redis at {REDIS_URL}")
    env = {
        **os.environ,
        "CACHE_URL": REDIS_URL,
        "PORTAL_LAUNCH_RATE": "10/h",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "BENCH_USER": str(uuid.uuid4().int % 10**9),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_LAUNCHES],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), results
    allowed = [int(out.strip()) for out, _ in results]
    assert sum(allowed) == 10, allowed  # 16 attempts, one shared budget of 10
