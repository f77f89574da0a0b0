"""A per-user launch rate limit counted in Django's cache (shared across processes with Redis)."""

import time

from django.conf import settings
from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600}


def launch_rate() -> tuple[int, int]:
    count, _, period = settings.PORTAL_LAUNCH_RATE.partition("/")
    return int(count), PERIODS[period]


def launch_allowed(user_id: int) -> tuple[bool, int]:
    """Count one launch in the current fixed window. (allowed, seconds until the next window)."""
    limit, period = launch_rate()
    now = int(time.time())
    window = now // period
    key = f"launch-rate:{user_id}:{window}"
    # add() is atomic: only the first launch of a window creates the counter.
    cache.add(key, 0, timeout=period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start again
        cache.set(key, 1, timeout=period + 5)
        count = 1
    return count <= limit, period - now % period
