"""The portal's share of Space Invoices' rate limit, on a simulated clock."""

from collections import deque

import pytest

from spaceinvoices.budget import CallBudget, bulk_calls


class Clock:
    """Time that passes only when the budget sleeps (or a test moves it)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Counter:
    """A shared counter in a dict (the budget's contract; the factory's is the cache)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.timeouts: dict[str, int] = {}

    def hit(self, key, timeout):
        self.timeouts.setdefault(key, timeout)
        self.values[key] = self.values.get(key, 0) + 1
        return self.values[key]


def budget(clock, counter=None, **options) -> CallBudget:
    return CallBudget(counter=counter or Counter(), clock=clock.time, sleep=clock.sleep, **options)


def most_in_any_minute(times: list[float], period: float = 60) -> int:
    window, most = deque(), 0
    for t in times:
        window.append(t)
        while t - window[0] >= period:
            window.popleft()
        most = max(most, len(window))
    return most


@pytest.mark.parametrize("limit", [60, 600])
def test_bulk_work_never_passes_its_share_of_any_sliding_minute(limit):
    clock = Clock()
    spend = budget(clock, limit=limit)
    times = []
    with bulk_calls():
        for _ in range(limit * 3):
            spend.take()
            times.append(clock.now)
    busiest = most_in_any_minute(times)
    assert busiest <= limit // 2 + limit // 7  # half, rounded at window edges
    elapsed = times[-1] - times[0]
    # and it keeps moving: at least a third of the limit a minute
    assert len(times) / (elapsed / 60) >= limit / 3


def test_everyone_together_never_passes_the_limit(limit=600):
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=limit)
    times = []
    for n in range(limit * 3):
        if n % 2:
            with bulk_calls():
                spend.take()
        else:
            spend.take()
        times.append(clock.now)
    assert most_in_any_minute(times) <= limit


def test_a_launch_does_not_wait_behind_bulk_work():
    clock, counter = Clock(), Counter()
    bulk = budget(clock, counter, limit=600)
    launch = budget(clock, counter, limit=600)
    with bulk_calls():
        for _ in range(bulk.bulk_per_window):  # bulk spends its whole share of the window
            bulk.take()
        slept_before = len(clock.slept)
        bulk.take()  # the next bulk call waits for the next window
    assert len(clock.slept) == slept_before + 1
    waited = len(clock.slept)
    for _ in range(launch.per_window - launch.bulk_per_window - 1):
        launch.take()  # launches still have the rest of the window
    assert len(clock.slept) == waited


def test_past_the_budget_even_a_launch_waits_for_the_next_window():
    clock = Clock()
    spend = budget(clock, limit=60)
    times = []
    for _ in range(spend.per_window * 3):  # launches and staff alone, as fast as they come
        spend.take()
        times.append(clock.now)
    assert most_in_any_minute(times) <= 60
    window = [int(t // spend.window) for t in times]
    assert window.count(window[0]) == spend.per_window  # the window is full, then the next


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"limit": 10}, "at least 14"),
        ({"limit": 60, "bulk_share": 1}, "between 0 and 1"),
        ({"limit": 60, "bulk_share": 0}, "between 0 and 1"),
    ],
)
def test_a_budget_that_cannot_work_is_refused(options, problem):
    with pytest.raises(ValueError, match=problem):
        budget(Clock(), **options)
