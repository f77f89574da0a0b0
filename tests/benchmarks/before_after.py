"""``python -m tests.benchmarks.before_after [COMMIT]``: the launch as it was at COMMIT (by
default, the last commit before #15's work) and as it is now, measured back to back on
this machine by the same harness, each run with its own framework line and peer.

These machines differ from one day to the next by half or more (the framework line took
1.05 ms of worker CPU a launch one evening and 1.8 ms the next), so a figure from another
day says little; two runs a minute apart say what the changes bought. The earlier code
runs from a temporary git worktree, with today's harness, simulator launcher and gunicorn
settings copied over it (the same load, settings and measures for both)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.simulator_process import ROOT

# The last commit before #15 (the launch as the issue measured it: 5.6 ms of worker CPU).
BEFORE_15 = "3f7cce3"
ISSUE_WORKER_MS = 5.6  # the issue's figure for that code, on the machine of its run
TARGET_WORKER_MS = 2.5
# Today's harness is copied over the earlier code, so that both are measured alike.
HARNESS = ("tests/benchmarks", "tests/simulator_process.py", "gunicorn.conf.py")
# That code has no session store of its own: it kept Django's, in PostgreSQL behind Redis.
BEFORE_SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def main() -> int:
    commit = sys.argv[1] if len(sys.argv) > 1 else BEFORE_15
    worktree = Path(tempfile.mkdtemp(prefix="portal-before-")) / "checkout"
    git = ["git", "-C", str(ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(worktree), commit], check=True)
    try:
        for path in HARNESS:
            target = worktree / path
            if target.is_dir():
                shutil.rmtree(target)
            copy = shutil.copytree if (ROOT / path).is_dir() else shutil.copy2
            copy(ROOT / path, target)
        before = _launch_run(worktree, {"BENCH_PORTAL_SESSION_ENGINE": BEFORE_SESSION_ENGINE})
        after = _launch_run(ROOT, {})
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(worktree)], check=False)
        shutil.rmtree(worktree.parent, ignore_errors=True)
    print(f"\nBefore ({commit}) and after (this checkout), back to back:")
    print("\n".join(before_after_lines(before, after)))
    return 0


def _launch_run(root: Path, env: dict) -> dict:
    """``tests.benchmarks.run launch`` in ``root``; its table printed, its results read."""
    subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.run", "launch"],
        cwd=root,
        env={**os.environ, **env},
        check=True,
    )
    return json.loads((root / "var" / "bench" / "launch.json").read_text())["launch"]


def before_after_lines(before: dict, after: dict) -> list[str]:
    """Each run's figures beside the other's, per number of clients; the ratios are the
    point (each run's own framework line and peer are its yardsticks)."""
    lines = []
    ratios = []
    for clients in before:
        was, now = before[clients], after[clients]
        ratio = now["portal"]["cpu_ms_workers"] / was["portal"]["cpu_ms_workers"]
        ratios.append(ratio)
        lines += [
            f"  x{clients}: portal's workers {was['portal']['cpu_ms_workers']} -> "
            f"{now['portal']['cpu_ms_workers']} ms a launch ({ratio:.2f} of before); "
            f"{_times(was, 'cpu_ms_workers')} -> {_times(now, 'cpu_ms_workers')} the "
            "framework line's",
            f"       machine {was['portal']['cpu_ms_machine']} -> "
            f"{now['portal']['cpu_ms_machine']} ms a launch (PostgreSQL "
            f"{was['portal']['cpu_ms_services']['postgresql']} -> "
            f"{now['portal']['cpu_ms_services']['postgresql']}); launches a second "
            f"{_share(was)} -> {_share(now)} of the peer's; p50 "
            f"{_gap(was)} -> {_gap(now)} ms from the peer's",
        ]
    worst = max(ratios)
    lines.append(
        f"  At the issue's scale ({ISSUE_WORKER_MS} ms before): {ISSUE_WORKER_MS * worst:.2f} ms "
        f"of worker CPU a launch by the higher of the ratios (target {TARGET_WORKER_MS})"
    )
    return lines


def _times(run: dict, measure: str) -> str:
    return f"{run['portal'][measure] / run['framework'][measure]:.2f}x"


def _share(run: dict) -> str:
    return f"{run['portal']['throughput_rps'] / run['peer']['throughput_rps']:.3f}"


def _gap(run: dict) -> str:
    return f"{run['portal']['p50_ms'] - run['peer']['p50_ms']:+.2f}"


if __name__ == "__main__":
    sys.exit(main())
