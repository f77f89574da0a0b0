"""``python -m tests.benchmarks.before_after [COMMIT]``: the launch as it was at COMMIT (by
default, the last commit before #15's work) and as it is now, measured back to back on
this machine by the same harness, each run with its own framework line and peer.

These machines differ from one day to the next by half or more (the framework line took
1.05 to 1.29 ms of worker CPU a launch one evening and 1.7 to 2.5 ms the next), so a figure from
another day says little; two runs a minute apart say what the changes bought. The earlier
code runs from a temporary git worktree, with today's harness, simulator launcher and
gunicorn settings copied over it (the same load, settings and measures for both: so #15's
own change to the gunicorn settings counts on neither side). Each run writes
``var/bench/launch.json`` in its own checkout, this one's included."""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.run import OUT_LAUNCH
from tests.simulator_process import ROOT

# The last commit before #15 (the launch as the issue measured it: 5.6 ms of worker CPU).
BEFORE_15 = "3f7cce3"
ISSUE_WORKER_MS = 5.6  # the issue's figure for that code, on the machine of its run
TARGET_WORKER_MS = 2.5
# Today's harness is copied over the earlier code, so that both are measured alike.
HARNESS = ("tests/benchmarks", "tests/simulator_process.py", "gunicorn.conf.py")
# That code has no session store of its own: it kept Django's, in PostgreSQL behind Redis.
BEFORE_SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# How long a stopped run may take to stop its own servers before it is killed with them.
STOP_WAIT_SECONDS = 60


class RunFailed(Exception):
    """A launch benchmark ended with an error (its own output says which)."""


class Stopped(Exception):
    """Asked to stop (SIGTERM): the runs and the worktree are cleaned up first."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.before_after", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "commit", nargs="?", default=BEFORE_15, help=f"the earlier code (default {BEFORE_15})"
    )
    commit = parser.parse_args(argv).commit
    sha = _commit_sha(commit)
    if sha is None:
        print(f"before_after: {commit!r} is not a commit of {ROOT}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    workdir = Path(tempfile.mkdtemp(prefix="portal-before-"))
    worktree = workdir / "checkout"
    git = ["git", "-C", str(ROOT)]
    try:
        subprocess.run(
            [*git, "worktree", "add", "--detach", str(worktree), sha],
            check=True,
            capture_output=True,
        )
        for path in HARNESS:
            target = worktree / path
            if target.is_dir():
                shutil.rmtree(target)
            copy = shutil.copytree if (ROOT / path).is_dir() else shutil.copy2
            copy(ROOT / path, target)
        print(f"Before ({commit}):", flush=True)
        before = _launch_run(worktree, {"BENCH_PORTAL_SESSION_ENGINE": BEFORE_SESSION_ENGINE})
        print("\nAfter (this checkout):", flush=True)
        after = _launch_run(ROOT, {})
    except RunFailed as failure:
        print(f"before_after: {failure}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Stopped) as stop:
        print("before_after: stopped; the servers and the worktree are gone", file=sys.stderr)
        return 143 if isinstance(stop, Stopped) else 130
    finally:
        subprocess.run(
            [*git, "worktree", "remove", "--force", str(worktree)], check=False, capture_output=True
        )
        shutil.rmtree(workdir, ignore_errors=True)
        # Forgets a worktree whose removal failed once its directory is gone.
        subprocess.run([*git, "worktree", "prune"], check=False)
    print(f"\nBefore ({commit}) and after (this checkout), back to back:")
    print("\n".join(before_after_lines(before, after)))
    return 0


def _commit_sha(name: str) -> str | None:
    """The commit ``name`` names here, or None (nothing, or not a commit)."""
    found = subprocess.run(
        [
            "git",
            "-C",
            str(ROOT),
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{name}^{{commit}}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or None


def _stop(signum, frame) -> None:
    raise Stopped


def _launch_run(root: Path, env: dict) -> dict:
    """``tests.benchmarks.run launch`` in ``root``; its table printed, its results read.

    The run has a session of its own, so that Ctrl-C reaches only this process: the run
    is then stopped the way Ctrl-C stops it alone (SIGINT, once), which lets it stop its
    own servers and simulator; if it has not stopped in time, its whole group is killed."""
    run = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.run", "launch"],
        cwd=root,
        env={**os.environ, **env},
        start_new_session=True,
    )
    try:
        code = run.wait()
    except BaseException:
        run.send_signal(signal.SIGINT)
        try:
            run.wait(timeout=STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        raise
    if code:
        raise RunFailed(f"the launch benchmark in {root} ended with exit code {code}")
    # Where that checkout's run wrote it: OUT_LAUNCH, inside ``root``.
    return json.loads((root / OUT_LAUNCH.relative_to(ROOT)).read_text())["launch"]


def before_after_lines(before: dict, after: dict) -> list[str]:
    """Each run's figures beside the other's, per number of clients; the ratios are the
    point (each run's own framework line and peer are its yardsticks)."""
    lines = []
    ratios, framework_ratios = [], []
    for clients in before:
        was, now = before[clients], after[clients]
        ratio = now["portal"]["cpu_ms_workers"] / was["portal"]["cpu_ms_workers"]
        ratios.append(ratio)
        framework_ratios.append(
            _framework_multiple(now, "cpu_ms_workers") / _framework_multiple(was, "cpu_ms_workers")
        )
        lines += [
            f"  x{clients}: portal's workers {was['portal']['cpu_ms_workers']} -> "
            f"{now['portal']['cpu_ms_workers']} ms a launch ({ratio:.2f} of before); "
            f"{_times(was, 'cpu_ms_workers')} -> {_times(now, 'cpu_ms_workers')} the "
            "framework line's",
            f"       machine {was['portal']['cpu_ms_machine']} -> "
            f"{now['portal']['cpu_ms_machine']} ms a launch (PostgreSQL "
            f"{was['portal']['cpu_ms_services']['postgresql']} -> "
            f"{now['portal']['cpu_ms_services']['postgresql']}); launches a second "
            f"{_share(was)} -> {_share(now)} of the peer's (over the whole run); p50 "
            f"{_gap(was)} -> {_gap(now)} ms from the peer's",
        ]
    worst, worst_framework = max(ratios), max(framework_ratios)
    # The two runs are minutes apart, and the machine's speed can move that much meanwhile
    # (one night's pair: 0.69 of before in milliseconds, 0.48 in framework lines). Each
    # run's own framework line is a second yardstick for that drift, but a small and noisy
    # figure itself, so both scalings are shown and neither replaces the other.
    lines += [
        f"  At the issue's scale ({ISSUE_WORKER_MS} ms before): {ISSUE_WORKER_MS * worst:.2f} ms "
        f"of worker CPU a launch by the higher of the ratios (target {TARGET_WORKER_MS})",
        f"  In framework lines: {ISSUE_WORKER_MS * worst_framework:.2f} ms by the higher of "
        f"those ratios ({worst_framework:.2f} of before)",
    ]
    return lines


def _framework_multiple(run: dict, measure: str) -> float:
    """The portal's ``measure`` in its own run's framework lines."""
    return run["portal"][measure] / run["framework"][measure]


def _times(run: dict, measure: str) -> str:
    return f"{_framework_multiple(run, measure):.2f}x"


def _share(run: dict) -> str:
    return f"{run['portal']['throughput_rps'] / run['peer']['throughput_rps']:.3f}"


def _gap(run: dict) -> str:
    return f"{run['portal']['p50_ms'] - run['peer']['p50_ms']:+.2f}"


if __name__ == "__main__":
    sys.exit(main())
