"""The packages import one way: spaceinvoices ← portal ← tenants ← embedding ← jobs, and
tenants ← activity (which nothing imports: tenants' pages load its template tags), no
cycle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("spaceinvoices", "portal", "tenants", "embedding", "jobs", "activity")
# Who may import whom (besides itself). portal names the apps only as strings (settings, urls).
ALLOWED = {
    "spaceinvoices": set(),
    "portal": {"spaceinvoices"},
    "tenants": {"spaceinvoices", "portal"},
    "embedding": {"spaceinvoices", "portal", "tenants"},
    "jobs": {"spaceinvoices", "portal", "tenants", "embedding"},
    "activity": {"spaceinvoices", "portal", "tenants"},
}


def imports_of(package: str) -> dict[str, set[str]]:
    """module path → the top-level packages of ours it imports (absolute imports)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_spaceinvoices_imports_nothing_of_ours():
    modules = imports_of("spaceinvoices")
    assert len(modules) > 15
    offenders = {m: n & set(PACKAGES) - {"spaceinvoices"} for m, n in modules.items()}
    assert {m: n for m, n in offenders.items() if n} == {}


def test_only_the_factory_reads_django():
    modules = imports_of("spaceinvoices")
    assert {m for m, names in modules.items() if "django" in names} == {"spaceinvoices/factory.py"}


def test_tenants_never_imports_embedding():
    offenders = {m for m, names in imports_of("tenants").items() if "embedding" in names}
    assert offenders == set()


def test_every_package_imports_only_what_the_layout_allows():
    for package in PACKAGES:
        for module, names in imports_of(package).items():
            ours = (names & set(PACKAGES)) - {package}
            assert ours <= ALLOWED[package], f"{module} imports {ours - ALLOWED[package]}"


def test_the_allowed_graph_has_no_cycle():
    # Follow every allowed edge from every package; a package must never reach itself.
    for start in PACKAGES:
        seen, todo = set(), list(ALLOWED[start])
        while todo:
            current = todo.pop()
            assert current != start, f"cycle through {start}"
            if current not in seen:
                seen.add(current)
                todo.extend(ALLOWED[current])


def test_the_portals_roles_are_exactly_the_contracts():
    from spaceinvoices.contract import ROLES
    from tenants.models import Role

    assert tuple(Role.values) == ROLES
    assert [Role.rank(r) for r in ROLES] == [0, 1, 2]
