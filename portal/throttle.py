"""Fixed-window rate limits counted in Django's cache (shared by every process with Redis)."""

import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from spaceinvoices.factory import CacheCounter

PERIODS = {"s": 1, "m": 60, "h": 3600}
RATE_SHAPE = re.compile(r"(\d+)/([smh])")


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


def throttle_hit(*, bucket: str, key: str, rate: str) -> Verdict:
    """Count one attempt of ``key`` in ``bucket`` in the current window."""
    limit, period = rate_parse(rate)
    now = int(time.time())
    count = CacheCounter(cache).hit(f"throttle:{bucket}:{key}:{now // period}", period + 5)
    return Verdict(
        allowed=count <= limit, retry_after=period - now % period, first_refusal=count == limit + 1
    )
