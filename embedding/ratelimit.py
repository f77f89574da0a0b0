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
    try:
        count = cache.incr(key)  # one round trip, the usual case
    except ValueError:
        # First launch of the window. add() is atomic: of two racing first launches one
        # creates the counter, the other counts on it.
        count = 1 if cache.add(key, 1, timeout=period + 5) else cache.incr(key)
    return count <= limit, period - now % period
