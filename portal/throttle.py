"""Fixed-window rate limits counted in Django's cache (shared by every process with Redis)."""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError

from spaceinvoices.factory import CacheCounter

PERIODS = {"s": 1, "m": 60, "h": 3600}
RATE_SHAPE = re.compile(r"(\d+)/([smh])")


class CountUnavailable(Exception):
    """The shared counter (Redis) could not be reached: nothing was counted."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window turns
    first_refusal: bool  # the first attempt past the limit in this window: worth one record


@lru_cache(maxsize=64)  # a handful of configured rates, parsed on every request otherwise
def rate_parse(rate: str) -> tuple[int, int]:
    """``"10/m"`` → (10, 60)."""
    match = RATE_SHAPE.fullmatch(rate)
    if not match:
        raise ImproperlyConfigured(f"A rate must look like 10/m, not {rate!r}.")
    return int(match[1]), PERIODS[match[2]]


def throttle_hit(
    *, bucket: str, key: str, rate: str, count: Callable[[str, int, int], int] | None = None
) -> Verdict:
    """Count one attempt of ``key`` in ``bucket`` in the current window; ``count(key,
    timeout, limit)``, when given, does the counting (say, with another count that only an
    attempt within the limit may make)."""
    limit, period = rate_parse(rate)
    now = int(time.time())
    window_key = f"throttle:{bucket}:{key}:{now // period}"
    try:
        if count is None:
            attempts = CacheCounter(cache).hit(window_key, period + 5)
        else:
            attempts = count(window_key, period + 5, limit)
    except RedisError as exc:
        # Typed, so that a caller can refuse on a page of its own instead of a bare 500:
        # an attempt that could not be counted is not within the limit.
        raise CountUnavailable(type(exc).__name__) from exc
    return Verdict(
        allowed=attempts <= limit,
        retry_after=period - now % period,
        first_refusal=attempts == limit + 1,
    )
