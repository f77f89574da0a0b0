"""The factory's shared counter: counts per key, created with an expiry on the first hit,
in Django's local cache and (one round trip) in Redis."""

import time

import pytest
from django.core.cache import caches

from spaceinvoices.factory import CacheCounter
from tests.conftest import require
from tests.security.test_rate_limit_shared import REDIS_URL, redis_up


@pytest.fixture
def redis_cache(settings):
    require(redis_up(), f"needs Redis at {REDIS_URL}")
    settings.CACHES = {
        **settings.CACHES,
        "counters": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
    }
    cache = caches["counters"]
    cache.clear()
    yield cache
    cache.clear()


def test_counts_from_one_and_expires_in_the_local_cache():
    counter = CacheCounter(caches["default"])
    assert [counter.hit("k", 1) for _ in range(3)] == [1, 2, 3]
    time.sleep(1.1)
    assert counter.hit("k", 1) == 1  # a new window's counter


def test_in_redis_the_first_hit_sets_the_expiry_and_later_ones_keep_it(redis_cache):
    counter = CacheCounter(redis_cache)
    assert [counter.hit("w", 30) for _ in range(3)] == [1, 2, 3]
    raw = redis_cache._cache.get_client(None)
    key = redis_cache.make_and_validate_key("w")
    first_ttl = raw.ttl(key)
    assert 0 < first_ttl <= 30
    counter.hit("w", 300)  # a later hit never stretches the window
    assert raw.ttl(key) <= first_ttl
    assert redis_cache.get("w") == 4  # Django's own reads agree


def test_a_second_count_only_within_both_limits_and_one_given_back_locally():
    counter = CacheCounter(caches["default"])
    hit = lambda: counter.hit_then("a", 60, limit=2, then=("b", 60), then_limit=5)  # noqa: E731
    assert hit() == (1, 1)
    assert hit() == (2, 2)
    assert hit() == (3, None)
    assert caches["default"].get("b") == 2  # past the first limit, b was not counted
    counter.give_back("b")
    assert counter.hit("b", 60) == 2
    assert counter.hit_then("c", 60, limit=9, then=("b", 60), then_limit=2) == (1, None)
    assert caches["default"].get("b") == 2  # at its own limit, b was not counted either
    counter.give_back("never-counted")  # expired or never there: nothing happens
    assert caches["default"].get("never-counted") is None


def test_in_redis_one_script_counts_within_both_limits_and_a_give_back_never_recreates(
    redis_cache,
):
    counter = CacheCounter(redis_cache)
    raw = redis_cache._cache.get_client(None)
    assert counter.hit_then("a", 30, limit=1, then=("b", 300), then_limit=2) == (1, 1)
    assert 0 < raw.ttl(redis_cache.make_and_validate_key("a")) <= 30
    assert 30 < raw.ttl(redis_cache.make_and_validate_key("b")) <= 300
    assert counter.hit_then("a", 30, limit=1, then=("b", 300), then_limit=2) == (2, None)
    assert redis_cache.get("a") == 2 and redis_cache.get("b") == 1
    assert counter.hit_then("c", 30, limit=5, then=("b", 300), then_limit=2) == (1, 2)
    assert counter.hit_then("c", 30, limit=5, then=("b", 300), then_limit=2) == (2, None)
    assert redis_cache.get("b") == 2  # at its limit, b is not counted
    raw.expire(redis_cache.make_and_validate_key("a"), 1000)
    counter.hit_then("a", 30, limit=1, then=("b", 300), then_limit=9)  # never stretches it
    assert raw.ttl(redis_cache.make_and_validate_key("a")) > 30
    counter.give_back("b")
    assert redis_cache.get("b") == 1
    counter.give_back("expired")
    assert raw.exists(redis_cache.make_and_validate_key("expired")) == 0
