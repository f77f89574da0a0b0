"""The Redis cache keeps one client object per server; CACHE_URL=redis://… selects it."""

import os
import subprocess
import sys

import pytest
from django.core.cache import caches

from tests.conftest import require
from tests.portal.test_settings import GOOD, ROOT
from tests.security.test_rate_limit_shared import REDIS_URL, redis_up


def test_a_redis_cache_url_selects_the_portals_backend():
    env = {**os.environ, **GOOD, "PORTAL_READ_ENV_FILE": "0", "CACHE_URL": REDIS_URL}
    env.pop("DATABASE_URL", None)
    code = "import portal.settings as s; print(s.CACHES['default']['BACKEND'])"
    printed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert printed == "portal.cache.RedisCache"


@pytest.fixture
def redis_cache(settings):
    require(redis_up(), f"needs Redis at {REDIS_URL}")
    settings.CACHES = {
        **settings.CACHES,
        "kept": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL},
    }
    cache = caches["kept"]
    cache.clear()
    yield cache
    cache.clear()


def test_one_client_object_serves_every_operation(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client("any", write=False) is client  # one server
    redis_cache.set("k", {"v": 1}, 30)
    assert (
        redis_cache.get("k") == {"v": 1} and redis_cache.incr("n", 1)
        if redis_cache.add("n", 0)
        else False
    )
    assert redis_cache.get("n") == 1
