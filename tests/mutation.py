"""``make mutate``: mutation testing of the core, and its score.

Runs mutmut over the modules in ``[tool.mutmut]`` (pyproject.toml), then reports

    score = killed / (all - equivalent)

where a timeout counts as killed (the tests noticed) and ``tests/mutation_equivalents.txt``
lists, each with its reason, the surviving mutants that cannot change behaviour. Exits
non-zero below 90 % or when mutmut itself fails. Run again, mutmut resumes where it left.
``python -m tests.mutation --report`` only scores the last run (after editing the list of
equivalents, say), without running anything; ``python -m tests.mutation 'pattern*'`` runs
(again) only the mutants matching those patterns (``tenants.services.members*``).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.mutation_slots import SLOTS_ENV, Slot, slots_write
from tests.simulator_process import SimulatorProcess

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"
TARGET = 0.90
# mutmut's exit codes that mean the tests noticed: failed, errored, or ran out of time.
KILLED_CODES = {1, 3, 24, -24, 36, 152, 255}


def mutmut(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=ROOT, env=env, text=True, check=False,
        capture_output=args[0] != "run",
    )  # fmt: skip


def equivalents() -> dict[str, str]:
    """mutant name → why it cannot change behaviour."""
    listed = {}
    for line in EQUIVALENTS.read_text().splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            listed[name.strip()] = reason.strip()
    return listed


def slots_start(*, state: Path, workers: int) -> list[SimulatorProcess]:
    """One simulator, account and test database per worker, for the whole run."""
    shutil.rmtree(state, ignore_errors=True)  # databases made afresh from current migrations
    state.mkdir(parents=True)
    simulators, slots = [], []
    for number in range(workers):
        directory = state / f"slot-{number}"
        directory.mkdir()
        simulator = SimulatorProcess(directory).start()
        simulators.append(simulator)
        slots.append(
            Slot(
                url=simulator.url,
                simulator_db=str(simulator.db),
                account_key=simulator.create_account("sandbox"),
                database=str(directory / "test.sqlite3"),
                lock=str(directory / "slot.lock"),
            )
        )
    slots_write(path=state / "slots.json", slots=slots)
    return simulators


def survivors_recheck(mutants: Path) -> int:
    """Forget the verdict of every mutant that was not killed, so that tests written since
    get their chance (mutmut keeps verdicts of unchanged functions). How many were reset."""
    reset = 0
    for meta in mutants.rglob("*.py.meta"):
        data = json.loads(meta.read_text())
        codes = data.get("exit_code_by_key", {})
        for name, code in codes.items():
            if code is not None and code not in KILLED_CODES:
                codes[name] = None
                reset += 1
        meta.write_text(json.dumps(data))
    return reset


def main() -> int:
    if "--report" not in sys.argv:
        failed = run(patterns=[a for a in sys.argv[1:] if not a.startswith("-")])
        if failed:
            print("mutmut run failed", file=sys.stderr)
            return 2
    return report()


def run(*, patterns: list[str]) -> int:
    reset = survivors_recheck(ROOT / "mutants")
    if reset:
        print(f"re-checking {reset} mutants that survived the last run")
    # Two sessions per core: a mutant's tests wait on the simulator and on SQLite about half
    # the time (each session used ~50 % of a core with one per core), so twice as many keep
    # the cores busy. MUTATE_WORKERS overrides it.
    workers = int(os.environ.get("MUTATE_WORKERS") or 2 * (os.cpu_count() or 1))
    state = ROOT / "var" / "mutation"
    simulators = slots_start(state=state, workers=workers)
    env = {**os.environ, SLOTS_ENV: str(state / "slots.json")}
    try:
        return mutmut("run", "--max-children", str(workers), *patterns, env=env).returncode
    finally:
        for simulator in simulators:
            simulator.stop()


def report() -> int:
    results = mutmut("results", "--all", "true").stdout
    status = dict(re.findall(r"^\s*(\S+): (.+)$", results, re.MULTILINE))
    listed = equivalents()
    killed = sum(s in ("killed", "timeout") for s in status.values())
    equivalent = {n for n, s in status.items() if n in listed and s not in ("killed", "timeout")}
    stale = sorted(n for n in listed if status.get(n) in ("killed", "timeout", None))
    survivors = sorted(
        n for n, s in status.items() if s not in ("killed", "timeout") and n not in listed
    )
    score = killed / max(1, len(status) - len(equivalent))
    summary = {
        "mutants": len(status),
        "killed": killed,
        "equivalent": len(equivalent),
        "survivors": len(survivors),
        "score": round(score, 4),
    }
    for name in survivors:
        print(f"survived: {name} ({status[name]})")
    for name in stale:
        print(f"listed as equivalent but {status.get(name, 'gone')}: {name}")
    print(json.dumps(summary))
    print(f"mutation score {score:.1%} (target {TARGET:.0%})")
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
