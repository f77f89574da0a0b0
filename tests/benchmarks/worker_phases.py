"""``python -m tests.benchmarks.worker_phases``: where a launch's CPU and time go inside
the portal's gunicorn workers under the benchmark's load (2 workers x 4 threads, 50 ms
upstream latency, 4 then 8 clients): thread CPU and wall time per phase, beside the
workers' whole CPU from /proc. What the one-process profile (``profile_launch``) cannot
show: the cost of each phase on a loaded machine, and what gunicorn costs around Django."""

import json
import os
import signal
import sys
import time
from pathlib import Path

from tests.benchmarks.load import PortalClient, quantile, run
from tests.benchmarks.run import CLIENTS, PASSWORD, UPSTREAM_LATENCY_MS, seed
from tests.benchmarks.stack import Stack, cpu_seconds, worker_pids

LAUNCHES_PER_CLIENT = 200


def main() -> int:
    stack = Stack()
    phases_dir = stack.workdir / "phases"
    phases_dir.mkdir()
    try:
        stack.manage("collectstatic", "--no-input", "-v", "0")
        import logging

        import django

        django.setup()
        logging.getLogger().setLevel(logging.WARNING)
        customer, members = seed(max(CLIENTS))
        url, master = stack.gunicorn(
            workers=2,
            threads=4,
            app="tests.benchmarks.phases_wsgi",
            env={"BENCH_PHASES_DIR": str(phases_dir)},
        )
        pids = worker_pids(master)
        stack.simulator.latency(UPSTREAM_LATENCY_MS)
        for clients in CLIENTS:
            browsers = [
                PortalClient(url, m.user.email, PASSWORD, customer.slug) for m in members[:clients]
            ]
            run([b.launch for b in browsers], 20)  # warm
            _collect(pids, phases_dir)  # and forget: sign-in and warming are not launches
            before = cpu_seconds(pids)
            result = run([b.launch for b in browsers], LAUNCHES_PER_CLIENT)
            workers_ms = (cpu_seconds(pids) - before) * 1000 / len(result.latencies_ms)
            print(_report(clients, result.summary(), workers_ms, _collect(pids, phases_dir)))
    finally:
        stack.stop()
    return 0


def _collect(pids: list[str], phases_dir: Path) -> dict:
    """Every worker's figures since the last call (each starts afresh once it has written)."""
    for path in phases_dir.glob("*.json"):
        path.unlink()
    for pid in pids:
        os.kill(int(pid), signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while len(list(phases_dir.glob("*.json"))) < len(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # a file seen may still be being written
    merged = {"requests": 0, "cpu": {}, "walls": {}}
    for path in phases_dir.glob("*.json"):
        part = json.loads(path.read_text())
        merged["requests"] += part["requests"]
        for phase, seconds in part["cpu"].items():
            merged["cpu"][phase] = merged["cpu"].get(phase, 0.0) + seconds
        for phase, walls in part["walls"].items():
            merged["walls"].setdefault(phase, []).extend(walls)
    return merged


def _report(clients: int, summary: dict, workers_ms: float, phases: dict) -> str:
    launches = phases["requests"]
    lines = [
        f"x{clients}: p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
        f"max {summary['max_ms']} ms, "
        f"{summary['throughput_rps']} launches/s, {summary['errors']} errors; "
        f"the workers' CPU {workers_ms:.2f} ms a launch (/proc)",
        "  phase (nested: the handler holds all but the outcome; the service holds the mint, "
        "Redis and the INSERT)",
        f"  {'':44}{'CPU ms/launch':>15}{'wall p50 ms':>13}{'wall p90 ms':>13}{'wall max ms':>13}",
    ]
    cpu = {phase: seconds * 1000 / launches for phase, seconds in phases["cpu"].items()}
    for phase, ms in sorted(cpu.items(), key=lambda item: -item[1]):
        walls = [seconds * 1000 for seconds in phases["walls"][phase]]
        lines.append(
            f"  {phase:44}{ms:>15.3f}{quantile(walls, 50):>13.3f}{quantile(walls, 90):>13.3f}"
            f"{max(walls):>13.3f}"  # the longest: where a stall, if any, was spent
        )
    handler = cpu["Django's handler, whole"]
    inside = (
        "launch service (rate limit, mint, audit)",
        "session, user and membership read",
        "request log line",
    )
    rest = handler - sum(cpu.get(phase, 0) for phase in inside)
    lines.append(f"  {'the rest of the handler (middleware, view)':44}{rest:>15.3f}")
    handled = handler + cpu.get("audit outcome, after the response", 0)
    lines.append(f"  {'gunicorn and the rest, around Django':44}{workers_ms - handled:>15.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
