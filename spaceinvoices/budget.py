"""Space Invoices' rate limit as one budget for every process of the portal [chosen].

Space Invoices limits requests per minute in a sliding window (429 with Retry-After past
it). The portal keeps under it on its own, so that a bulk run never meets a 429 and a
launch never waits behind bulk work:

- Time is cut into windows (a sixth of the period: 10 seconds); every HTTP request (each
  retry too) takes one unit of the current window. A sliding minute touches at most seven
  windows, so a window holds ``limit // 7``: never more than the limit in any minute.
- Bulk work (inside ``bulk_calls()``) also counts on its own and may use at most
  ``bulk_share`` of a window, so the rest is always left for launches and staff.
- A call past its budget (bulk: its share) waits for the next window, so no sliding
  minute ever passes the limit: a launch waits at most one window, and only when
  launches and staff themselves spent the rest of it.

The counts live in a shared counter (the Django cache, Redis in production), so that
every web and worker process draws on the same budget. This module knows nothing of
Django: the factory hands it the counter.
"""

import contextlib
import contextvars
import math
import random
import time
from collections.abc import Callable, Iterator
from typing import Protocol

_bulk = contextvars.ContextVar("spaceinvoices_bulk_calls", default=False)


class Counter(Protocol):
    """What the budget needs of a shared counter: count one hit of ``key`` and return the
    count, creating it (to expire after ``timeout`` seconds) on the window's first hit."""

    def hit(self, key: str, timeout: int) -> int: ...


@contextlib.contextmanager
def bulk_calls() -> Iterator[None]:
    """Calls made inside count as bulk work: they keep to their share of the budget."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


class CallBudget:
    """Take one unit before each request; blocks (sleeps) while the budget is spent.

    ``limit`` requests per ``period`` seconds (a minute upstream; tests compress it)."""

    def __init__(
        self,
        *,
        counter: Counter,
        limit: int,
        period: float = 60.0,
        window: float | None = None,
        bulk_share: float = 0.5,
        prefix: str = "si-budget",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.window = window or period / 6
        overlapped = math.ceil(period / self.window) + 1  # windows a sliding period touches
        if limit < 2 * overlapped:
            raise ValueError(f"a rate limit of at least {2 * overlapped} a period")
        if not 0 < bulk_share < 1:
            raise ValueError("the bulk share is a fraction between 0 and 1")
        self.counter = counter
        self.per_window = limit // overlapped
        # At least one unit each: bulk work always moves, and never takes a whole window.
        self.bulk_per_window = min(max(1, int(self.per_window * bulk_share)), self.per_window - 1)
        self.prefix = prefix
        self.clock = clock
        self.sleep = sleep

    def take(self) -> None:
        bulk = _bulk.get()
        while True:
            now = self.clock()
            window = int(now // self.window)
            # Bulk work checks its own share first, so that its waiting never eats into
            # what is left of the window for everyone else.
            if (not bulk or self._count("bulk", window) <= self.bulk_per_window) and (
                self._count("all", window) <= self.per_window
            ):
                return
            pause = (window + 1) * self.window - now + random.uniform(0, self.window / 50)
            self.sleep(max(pause, 0.001))

    def _count(self, kind: str, window: int) -> int:
        # One round trip where the counter allows: this is on every launch's path.
        key = f"{self.prefix}:{kind}:{window}"
        return self.counter.hit(key, max(1, math.ceil(self.window * 3)))
