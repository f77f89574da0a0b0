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


# Written in mutants/, where every mutant's session runs: what mutmut's stats run took per
# test with fixtures included (mutmut times the test body only, and here the cost is in the
# fixtures: a customer provisioned over HTTP), and which tests killed which function's mutants.
FULL_DURATIONS = Path("mutmut-full-durations.json")
KILLERS = Path("mutmut-killers.tsv")


def durations() -> dict[str, float]:
    """Each test's duration, fixtures included when known (a mutant's session runs in
    mutants/); mutmut's own figures otherwise."""
    try:
        return json.loads(FULL_DURATIONS.read_text())
    except (OSError, ValueError):
        pass
    try:
        return json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return {}


EQUIVALENTS = Path("tests/mutation_equivalents.txt")
RECHECK_ENV = "MUTATE_RECHECK_EQUIVALENTS"


def listed_equivalent(mutant: str) -> bool:
    """Whether the mutant is listed as equivalent (with its reason): its tests are not run
    (each would run every test reaching its function, for nothing), unless
    MUTATE_RECHECK_EQUIVALENTS=1 asks to check the list itself again."""
    if os.environ.get(RECHECK_ENV) == "1":
        return False
    try:
        lines = EQUIVALENTS.read_text().splitlines()
    except OSError:
        return False
    return any(line.partition("#")[0].strip() == mutant for line in lines)


def stats_session() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def function_of(mutant: str) -> str:
    """``tenants.services.members.x_members_sync__mutmut_56`` → its function's name."""
    return mutant.split("__mutmut_")[0]


def killer_record(*, mutant: str, nodeid: str) -> None:
    """Remember the test that killed a mutant. One short line, appended: concurrent
    workers' lines never interleave (O_APPEND writes under PIPE_BUF are atomic)."""
    with KILLERS.open("a") as killers:
        killers.write(f"{function_of(mutant)}\t{nodeid}\n")


def killers_of(mutant: str) -> dict[str, int]:
    """Tests that killed mutants of the same function, with how many each."""
    function, found = function_of(mutant), {}
    try:
        lines = KILLERS.read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        name, _, nodeid = line.partition("\t")
        if name == function:
            found[nodeid] = found.get(nodeid, 0) + 1
    return found


def likeliest_first(items: list, *, mutant: str) -> list:
    """mutmut hands a mutant's tests over in set order and stops at the first failure, so a
    killed mutant costs the time of the tests run before the failing one. First the tests
    that killed other mutants of the same function (most kills first: mutants of one
    function run one after another, and a few tests kill most of them), then those of the
    mutated module's own test file (``tenants.services.members`` → ``test_members``), then
    the rest, each group quickest first (a test never timed goes last)."""
    timed, killers = durations(), killers_of(mutant)
    module = mutant.split(".x")[0].rsplit(".", 1)[-1].rstrip("s")  # members → member

    def key(item):
        own = module in item.nodeid.split("::")[0].rsplit("/", 1)[-1]
        kills = killers.get(item.nodeid, 0)
        return (not kills, -kills, not own, timed.get(item.nodeid, float("inf")))

    return sorted(items, key=key)
