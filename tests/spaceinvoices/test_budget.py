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
        self.trips = 0  # round trips to the shared counter

        self.broken = False  # give_back fails, as a lost Redis would

    def hit(self, key, timeout):
        self.trips += 1
        return self._count(key, timeout)

    def hit_then(self, key, timeout, *, limit, then, then_limit):
        self.trips += 1
        count = self._count(key, timeout)
        if count > limit or self.values.get(then[0], 0) >= then_limit:
            return count, None
        return count, self._count(*then)

    def give_back(self, key):
        self.trips += 1
        if self.broken:
            raise ConnectionError("the counter is gone")
        self.values[key] -= 1

    def _count(self, key, timeout):
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


def _spent(spend, counter, clock) -> int:
    return counter.values.get(spend._key("all", int(clock.now // spend.window)), 0)


def test_a_unit_taken_ahead_rides_with_the_other_count_and_serves_the_next_request():
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=600)
    with spend.ahead() as ahead:
        assert ahead.count_with("mine", 60, 5) == 1 and counter.values["mine"] == 1
        assert counter.trips == 1 and _spent(spend, counter, clock) == 1
        spend.take()  # the request the unit was for: no second count, no trip
        assert counter.trips == 1 and _spent(spend, counter, clock) == 1
        spend.take()  # a second request (a retry) takes its own
        assert counter.trips == 2 and _spent(spend, counter, clock) == 2
    assert _spent(spend, counter, clock) == 2  # both used: nothing given back


def test_a_unit_taken_ahead_and_not_used_is_given_back():
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=600)
    with spend.ahead() as ahead:
        ahead.count_with("mine", 60, 5)
    assert _spent(spend, counter, clock) == 0 and counter.values["mine"] == 1
    with pytest.raises(RuntimeError), spend.ahead() as ahead:
        ahead.count_with("mine", 60, 5)
        raise RuntimeError("the launch failed before its request")
    assert _spent(spend, counter, clock) == 0
    spend.take()  # after the block, nothing is left ahead for an unrelated request
    assert _spent(spend, counter, clock) == 1 and counter.trips == 5


def test_a_unit_taken_ahead_does_not_cross_into_the_next_window():
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=600)
    with spend.ahead() as ahead:
        ahead.count_with("mine", 60, 5)
        first = spend._key("all", int(clock.now // spend.window))
        clock.now += spend.window  # the launch took long
        spend.take()
        assert counter.values[first] == 1  # spent where it was counted (not given back)
        assert _spent(spend, counter, clock) == 1  # and the request counted in its own


def test_past_the_budget_a_unit_taken_ahead_is_no_unit_and_counts_nothing():
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=60)
    for _ in range(spend.per_window):
        spend.take()
    with spend.ahead() as ahead:
        assert ahead.count_with("mine", 60, 5) == 1  # the other count still counts
        assert _spent(spend, counter, clock) == spend.per_window  # a spent window: no count
        slept = len(clock.slept)
        spend.take()  # waits for the next window, as any request past the budget
        assert len(clock.slept) == slept + 1


def test_an_attempt_past_its_own_limit_takes_no_unit_ahead_even_for_a_moment():
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=600)
    for attempt in range(1, 5):
        with spend.ahead() as ahead:
            assert ahead.count_with("mine", 60, 2) == attempt
            # Within the limit, one unit is held for the block; past it, none is counted.
            assert _spent(spend, counter, clock) == (1 if attempt <= 2 else 0)
    assert _spent(spend, counter, clock) == 0  # the two units held were given back
    assert counter.trips == 4 + 2  # one trip per attempt, and one per give-back


def test_a_unit_that_cannot_be_given_back_is_logged_and_the_block_ends_as_it_would(caplog):
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=600)
    counter.broken = True
    with pytest.raises(LookupError), spend.ahead() as ahead:
        ahead.count_with("mine", 60, 5)
        raise LookupError("the block's own outcome")  # not replaced by the counter's error
    assert _spent(spend, counter, clock) == 1  # stays counted: on the safe side
    assert "not given back: ConnectionError" in caplog.text
    assert "the counter is gone" not in caplog.text  # a counter's error may name its server
    spend.take()  # nothing is left ahead for the next request: it counts its own
    assert _spent(spend, counter, clock) == 2


def test_bulk_work_takes_nothing_ahead():
    clock, counter = Clock(), Counter()
    spend = budget(clock, counter, limit=600)
    with bulk_calls(), spend.ahead() as ahead:
        assert ahead.count_with("mine", 60, 5) == 1
        assert _spent(spend, counter, clock) == 0
        spend.take()
        assert _spent(spend, counter, clock) == 1


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
