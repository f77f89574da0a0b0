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
- A caller that counts something else first (the launch counts its user's rate limit)
  may take its next request's unit ahead, in the same round trip (``ahead()``), and only
  if that other count is within its own limit (an attempt refused there takes nothing)
  and the window still has a unit (a spent window is not counted past). A unit taken
  ahead and not used by the end of the block is given back.

The counts live in a shared counter (the Django cache, Redis in production), so that
every web and worker process draws on the same budget. This module knows nothing of
Django: the factory hands it the counter.
"""

import contextlib
import contextvars
import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from typing import Protocol

logger = logging.getLogger(__name__)
_bulk = contextvars.ContextVar("spaceinvoices_bulk_calls", default=False)
# The unit taken ahead for this context's next request: (budget, window, key), or None.
_ahead = contextvars.ContextVar("spaceinvoices_budget_ahead", default=None)


class Counter(Protocol):
    """What the budget needs of a shared counter: count one hit of ``key`` and return the
    count, creating it (to expire after ``timeout`` seconds) on the window's first hit; the
    same, then a second key's hit only if the first count is within ``limit`` and the second
    is below ``then_limit`` (its count, or None), in one round trip; and a hit given back
    (nothing if the counter expired)."""

    def hit(self, key: str, timeout: int) -> int: ...

    def hit_then(
        self, key: str, timeout: int, *, limit: int, then: tuple[str, int], then_limit: int
    ) -> tuple[int, int | None]: ...

    def give_back(self, key: str) -> None: ...


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
        ahead = _ahead.get()
        if ahead is not None and not bulk:
            _ahead.set(None)  # one request's unit, whatever happens next
            budget, window, _ = ahead
            # Only in the window it was counted in: a unit carried into the next window
            # would let a sliding minute hold one call more than its windows counted.
            if budget is self and window == int(self.clock() // self.window):
                return
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

    @contextlib.contextmanager
    def ahead(self) -> Iterator["Ahead"]:
        """Within the block, ``count_with(key, timeout, limit)`` counts ``key`` and, if that
        count is within ``limit``, takes the unit of the block's next request in the same
        round trip; unused, it is given back."""
        ahead = Ahead(self)
        try:
            yield ahead
        finally:
            ahead.settle()

    def _count(self, kind: str, window: int) -> int:
        # One round trip where the counter allows: this is on every launch's path.
        return self.counter.hit(self._key(kind, window), self._timeout())

    def _key(self, kind: str, window: int) -> str:
        return f"{self.prefix}:{kind}:{window}"

    def _timeout(self) -> int:
        return max(1, math.ceil(self.window * 3))


class Ahead:
    """A unit taken ahead by ``CallBudget.ahead()`` (at most one per block)."""

    def __init__(self, budget: CallBudget) -> None:
        self.budget = budget
        self._taken: tuple | None = None
        self._token = None

    def count_with(self, key: str, timeout: int, limit: int) -> int:
        """Count one hit of ``key`` (its count returned) and, in the same round trip and only
        if that count is within ``limit``, take a unit for this block's next request. Past
        ``limit`` nothing is taken: an attempt refused there must not spend, even for a
        moment, a budget every launch shares. Nor when the window's budget is spent: nothing
        is counted then, and the request takes its unit (waiting) as any other."""
        budget = self.budget
        if _bulk.get() or self._taken is not None:
            return budget.counter.hit(key, timeout)  # bulk work keeps to its own share
        window = int(budget.clock() // budget.window)
        unit = budget._key("all", window)
        count, spent = budget.counter.hit_then(
            key, timeout, limit=limit, then=(unit, budget._timeout()), then_limit=budget.per_window
        )
        # Past the budget only if two processes raced in a cache that cannot decide on its
        # server (a local one): left counted, as take() leaves its own; the window is spent.
        if spent is not None and spent <= budget.per_window:
            self._taken = (budget, window, unit)
            self._token = _ahead.set(self._taken)
        return count

    def settle(self) -> None:
        """At the end of the block: an unused unit is given back. Giving back is a courtesy
        to other launches (the unit would otherwise stay counted, on the safe side), so a
        failure to give it back is logged, never raised over the block's own outcome."""
        try:
            if self._taken is not None and _ahead.get() is self._taken:
                self.budget.counter.give_back(self._taken[2])
        except Exception as exc:  # any failure of the shared counter: see above
            # The type alone: a counter's error may name its server.
            logger.warning(
                "a call budget unit taken ahead was not given back: %s", type(exc).__name__
            )
        finally:
            self._taken = None
            if self._token is not None:
                _ahead.reset(self._token)
                self._token = None
