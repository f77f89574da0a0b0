"""The bench's before-and-after: each run's ratios from its own figures, and the earlier
code named by a commit or refused."""

import subprocess

import pytest

from tests.benchmarks.before_after import _commit_sha, before_after_lines, main
from tests.simulator_process import ROOT


def _run(portal_ms: float, framework_ms: float, portal_rps: float, portal_p50: float) -> dict:
    def row(workers, rps, p50, postgresql=1.0):
        return {
            "cpu_ms_workers": workers,
            "cpu_ms_machine": workers * 2,
            "cpu_ms_services": {"postgresql": postgresql},
            "throughput_rps": rps,
            "p50_ms": p50,
        }

    return {
        "portal": row(portal_ms, portal_rps, portal_p50),
        "framework": row(framework_ms, 130.0, 58.0),
        "peer": row(5.0, 100.0, 60.0),
    }


def test_each_run_is_read_against_its_own_yardsticks_and_the_worse_ratio_is_scaled():
    before = {"4": _run(10.0, 2.0, 50.0, 70.0), "8": _run(12.0, 2.0, 75.0, 90.0)}
    after = {"4": _run(5.0, 2.5, 100.0, 61.0), "8": _run(6.6, 2.2, 99.0, 62.5)}
    lines = before_after_lines(before, after)
    assert "x4: portal's workers 10.0 -> 5.0 ms a launch (0.50 of before)" in lines[0]
    assert "5.00x -> 2.00x the framework line's" in lines[0]
    assert "launches a second 0.500 -> 1.000 of the peer's" in lines[1]
    assert "p50 +10.00 -> +1.00 ms from the peer's" in lines[1]
    assert "x8: portal's workers 12.0 -> 6.6 ms a launch (0.55 of before)" in lines[2]
    # The higher ratio (x8's 0.55) decides: 5.6 ms x 0.55 = 3.08 ms.
    assert lines[-2].startswith("  At the issue's scale (5.6 ms before): 3.08 ms")
    # In framework lines: x4 2.00 / 5.00 = 0.40, x8 3.00 / 6.00 = 0.50; 5.6 x 0.50 = 2.80.
    assert lines[-1] == (
        "  In framework lines: 2.80 ms by the higher of those ratios (0.50 of before)"
    )


def _worktrees() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True
    ).stdout


# "--lock" would be an option to git worktree add; a blob's name is no commit either.
@pytest.mark.parametrize("name", ["deadbeef0000", "--lock", "HEAD:README.md"])
def test_a_name_that_is_no_commit_is_refused_before_any_worktree_is_made(name, capsys):
    worktrees = _worktrees()
    assert main(["--", name]) == 2
    assert f"{name!r} is not a commit" in capsys.readouterr().err
    assert _worktrees() == worktrees


def test_a_commit_is_named_by_its_full_id():
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert _commit_sha("HEAD") == head
