"""The bench's portal-against-peer verdict: a difference only where the run shows one."""

import random

from tests.benchmarks.compare import contenders_compare, difference_interval, verdict
from tests.benchmarks.load import Result


def _latencies(centre: float, n: int, seed: int) -> list[float]:
    chance = random.Random(seed)
    return [centre + chance.uniform(-1.0, 1.0) for _ in range(n)]


def test_a_clear_gap_is_told_with_an_interval_that_leaves_out_zero():
    difference, low, high = difference_interval(
        _latencies(50.0, 240, 1), _latencies(53.0, 240, 2), q=50, resamples=400
    )
    assert -3.3 < difference < -2.7
    assert low <= difference <= high < 0
    assert verdict(low, high) == "portal lower"
    assert verdict(-high, -low) == "portal higher"


def test_the_same_latencies_are_within_the_noise():
    same = _latencies(60.0, 240, 3)
    difference, low, high = difference_interval(same, list(same), q=50, resamples=400)
    assert difference == 0
    assert low < 0 < high
    assert verdict(low, high) == "within this run's noise"


def test_launches_a_second_are_compared_round_by_round():
    portal = [Result([60.0] * 100, 0, 1.0), Result([60.0] * 90, 0, 1.0)]
    peer = [Result([61.0] * 80, 0, 1.0), Result([61.0] * 90, 0, 1.0)]
    compared = contenders_compare(portal, peer)
    assert compared["throughput_ratio_by_round"] == [1.25, 1.0]
    assert compared["p50_ms"]["difference"] == -1.0
    assert compared["p50_ms"]["verdict"] == "portal lower"
