"""Portal against peer within one run, with the run's own noise: is a difference real?

Two contenders a fraction of a millisecond apart swap places from one run to the next on
this shared machine, so a bare "59.4 vs 60.0" decides nothing. Each difference comes with
a 95 % interval (a bootstrap over the run's own launches: each side resampled with
replacement), and each throughput with the spread of its rounds (alternated, so a round
of the one and the next of the other saw much the same machine). A verdict says *below*
or *above* only when the interval leaves out zero; otherwise *within this run's noise*.
"""

import random
import statistics

from tests.benchmarks.load import Result, quantile

RESAMPLES = 2000
SEED = 15  # fixed: the same latencies give the same interval in every report


def difference_interval(
    mine: list[float], theirs: list[float], *, q: int, resamples: int = RESAMPLES
) -> tuple[float, float, float]:
    """``(difference, low, high)``: ``mine``'s q-th percentile less ``theirs``', and the
    2.5th and 97.5th percentiles of that difference over bootstrap resamples."""
    chance = random.Random(SEED)
    differences = sorted(
        quantile(chance.choices(mine, k=len(mine)), q)
        - quantile(chance.choices(theirs, k=len(theirs)), q)
        for _ in range(resamples)
    )
    low = differences[int(0.025 * (resamples - 1))]
    high = differences[int(0.975 * (resamples - 1))]
    return quantile(mine, q) - quantile(theirs, q), low, high


def verdict(low: float, high: float) -> str:
    """What an interval of portal's latency less peer's says: a difference only when the
    interval leaves out zero."""
    if high < 0:
        return "portal lower"
    if low > 0:
        return "portal higher"
    return "within this run's noise"


def contenders_compare(portal: list[Result], peer: list[Result]) -> dict:
    """Portal against peer from their rounds of one run: p50 and p99 differences with their
    intervals, and each round's launches a second (portal's over the peer's round beside)."""
    mine = [x for part in portal for x in part.latencies_ms]
    theirs = [x for part in peer for x in part.latencies_ms]
    compared = {}
    for q in (50, 99):
        difference, low, high = difference_interval(mine, theirs, q=q)
        compared[f"p{q}_ms"] = {
            "difference": round(difference, 2),
            "interval": [round(low, 2), round(high, 2)],
            "verdict": verdict(low, high),
        }
    ratios = [
        (len(a.latencies_ms) / a.seconds) / (len(b.latencies_ms) / b.seconds)
        for a, b in zip(portal, peer, strict=True)
    ]
    compared["throughput_ratio_by_round"] = [round(r, 3) for r in ratios]
    return compared


def comparison_lines(clients: int, compared: dict) -> list[str]:
    lines = []
    for key in ("p50_ms", "p99_ms"):
        c = compared[key]
        low, high = c["interval"]
        lines.append(
            f"  x{clients} portal - peer {key[:3]}: {c['difference']:+.2f} ms "
            f"(95 % interval {low:+.2f} to {high:+.2f}): {c['verdict']}"
        )
    ratios = compared["throughput_ratio_by_round"]
    lines.append(
        f"  x{clients} portal / peer launches a second, round by round: "
        + ", ".join(f"{r:.3f}" for r in ratios)
        + f" (median {statistics.median(ratios):.3f})"
    )
    return lines
