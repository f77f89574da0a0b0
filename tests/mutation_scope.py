"""Under ``make mutate``, which tests may kill a mutant: those of the layer it lives in."""

import json
import os
from pathlib import Path

# The client is reached by nearly every test (each provisioning, sync or launch calls Space
# Invoices), so a surviving client mutant would run the whole suite. More to the point, a
# client bug that only a service test notices is a hole in the client's own tests: those
# are the contract the client must meet against the real service. The same holds for the
# redaction filters, whose tests live with the portal and the security suite.
SCOPES = {
    "spaceinvoices.": ("tests/spaceinvoices/",),
    "portal.redaction.": ("tests/portal/", "tests/security/"),
}


def mutant_under_test() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


def test_directories(*, mutant: str) -> tuple[str, ...] | None:
    """The test directories for this mutant, or None when every selected test may run."""
    for prefix, directories in SCOPES.items():
        if mutant.startswith(prefix):
            return directories
    return None


def durations() -> dict[str, float]:
    """Each test's duration from mutmut's stats run (a mutant's session runs in mutants/)."""
    try:
        return json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return {}


def fastest_first(items: list) -> list:
    """mutmut hands a mutant's tests over in set order and stops at the first failure, so a
    killed mutant costs the time of the tests run before the failing one: run quick ones
    first (a test mutmut has not timed goes last)."""
    timed = durations()
    return sorted(items, key=lambda item: timed.get(item.nodeid, float("inf")))
