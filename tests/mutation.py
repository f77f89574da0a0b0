"""``make mutate``: mutation testing of the core, and its score.

Runs mutmut over the modules in ``[tool.mutmut]`` (pyproject.toml), then reports

    score = killed / (all - equivalent)

where a timeout counts as killed (the tests noticed) and ``tests/mutation_equivalents.txt``
lists, each with its reason, the surviving mutants that cannot change behaviour. Exits
non-zero below 90 % or when mutmut itself fails. Run again, mutmut resumes where it left.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"
TARGET = 0.90


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


def main() -> int:
    # A test database kept between mutants (pytest's --reuse-db), outside mutants/.
    state = ROOT / "var" / "mutation"
    state.mkdir(parents=True, exist_ok=True)
    database = state / "test.sqlite3"
    for stale in state.glob("test.sqlite3*"):
        stale.unlink()  # made afresh once per run, from the current migrations
    env = {**os.environ, "PORTAL_TEST_DB": str(database)}
    if mutmut("run", "--max-children", str(os.cpu_count() or 2), env=env).returncode:
        print("mutmut run failed", file=sys.stderr)
        return 2
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
    report = {
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
    print(json.dumps(report))
    print(f"mutation score {score:.1%} (target {TARGET:.0%})")
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
