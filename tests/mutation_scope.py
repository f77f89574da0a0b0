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
# The permission matrix proves who may press which admin button, which is admin code; a
# service it reaches is checked by the service's own tests. Run for every service mutant,
# its hundred tests would cost more than all the others together.
ADMIN_ONLY = ("tests/tenants/test_permission_matrix.py",)


def mutant_under_test() -> str:
    """The mutant this session tests; '' outside a mutant's run (mutmut's own stats, forced
    failure and listing runs set words such as "stats" there: those see every test)."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else ""


def test_kept(*, mutant: str, nodeid: str) -> bool:
    """Whether this test may run for this mutant (mutmut already chose the tests that reach
    the mutated function; this keeps those of its own layer)."""
    for prefix, directories in SCOPES.items():
        if mutant.startswith(prefix):
            return nodeid.startswith(directories)
    return mutant.startswith("tenants.admin.") or not nodeid.startswith(ADMIN_ONLY)


def durations() -> dict[str, float]:
    """Each test's duration from mutmut's stats run (a mutant's session runs in mutants/)."""
    try:
        return json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return {}


def likeliest_first(items: list, *, mutant: str) -> list:
    """mutmut hands a mutant's tests over in set order and stops at the first failure, so a
    killed mutant costs the time of the tests run before the failing one. First the tests
    of the mutated module's own test file (``tenants.services.members`` → ``test_members``),
    then the rest, each group quickest first (a test mutmut has not timed goes last)."""
    timed = durations()
    module = mutant.split(".x")[0].rsplit(".", 1)[-1].rstrip("s")  # members → member

    def key(item):
        own = module in item.nodeid.split("::")[0].rsplit("/", 1)[-1]
        return (not own, timed.get(item.nodeid, float("inf")))

    return sorted(items, key=key)
