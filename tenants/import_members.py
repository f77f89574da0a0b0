"""An import row's members against the team it names: who is added, whose role changes, and
who cannot be (an account turned off, a removal still under way)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models.functions import Lower

from tenants.models import Customer, Membership, Role, SyncState, User
from tenants.models.user import EMAIL_MAX_LENGTH

# Addresses a query names at most: well inside SQLite's limit on a statement's parameters.
LOOKUP_BATCH = 500
Listed = list[tuple[str, str]]  # (email, role) as a row's members column is cleaned; "": none


@dataclass(frozen=True)
class TeamLookup:
    """Read once per chunk of rows: the teams of its stored customers (by lower-case email)
    and the turned-off accounts among the addresses it lists."""

    teams: dict[int, dict[str, Membership]]
    turned_off: frozenset[str]

    def team(self, customer: Customer | None) -> dict[str, Membership]:
        return self.teams.get(customer.pk, {}) if customer is not None else {}


def addresses_in(cell: str) -> set[str]:
    """The addresses a members cell may name, before it is checked: what to look up. Only
    what could be an address (an @, not too long): a cell of anything looks up nothing."""
    found = (part.partition(":")[0].strip().lower() for part in cell.split(";"))
    return {email for email in found if "@" in email and len(email) <= EMAIL_MAX_LENGTH}


def team_lookup(*, customers: Iterable[Customer], emails: Iterable[str]) -> TeamLookup:
    """One query for the teams, one per LOOKUP_BATCH addresses for the accounts."""
    teams: dict[int, dict[str, Membership]] = {}
    stored = Membership.objects.filter(customer__in=list(customers)).select_related("user")
    for membership in stored:
        teams.setdefault(membership.customer_id, {})[membership.user.email.lower()] = membership
    listed, turned_off = sorted(set(emails)), set()
    for start in range(0, len(listed), LOOKUP_BATCH):
        turned_off.update(
            User.objects.annotate(lowered=Lower("email"))
            .filter(lowered__in=listed[start : start + LOOKUP_BATCH], is_active=False)
            .values_list("lowered", flat=True)
        )
    return TeamLookup(teams, frozenset(turned_off))


def members_refused(*, listed: Listed, team: dict[str, Membership], turned_off) -> list[str]:
    """Why a listed member cannot be saved as the row says, one message each: the same
    refusals as the team page's, found while checking, not halfway through saving."""
    problems = []
    for email, _role in listed:
        current = team.get(email)
        if current is not None and current.sync_state == SyncState.REMOVING:
            problems.append(
                f"{email} is still being removed from this team: list them again once "
                "Space Invoices has confirmed the removal."
            )
        elif current is None and email in turned_off:
            problems.append(
                f"{email}'s account is turned off, so they cannot be added: turn it on again first."
            )
    if without := _admins_left_without(listed, team):
        problems.append(
            f"the row leaves the team without an admin ({', '.join(without)} demoted): keep "
            "one as admin, or name another admin in the row"
        )
    return problems


def _admins_left_without(listed: Listed, team: dict[str, Membership]) -> list[str]:
    """The admins the row demotes when it leaves the team none (as the team page refuses
    to), else []: a company nobody can manage is not an import's to make."""
    named = dict(listed)
    staying = {e: m for e, m in team.items() if m.sync_state != SyncState.REMOVING}
    admins = [e for e, m in staying.items() if m.role == Role.ADMIN]
    after = [e for e in admins if named.get(e) in (None, "", Role.ADMIN)]
    promoted = [e for e, role in named.items() if role == Role.ADMIN and e not in admins]
    return sorted(admins) if admins and not after and not promoted else []


def members_to_add(*, listed: Listed, team: dict[str, Membership]) -> Listed:
    """New members, with their roles: viewer where the row names none."""
    return [(email, role or Role.VIEWER) for email, role in listed if email not in team]


def roles_to_change(*, listed: Listed, team: dict[str, Membership]) -> list[tuple[Membership, str]]:
    """A member's role the row names and the stored one differs from; promotions to admin
    first, so that an admin handing over to another is never the last one meanwhile."""
    changes = [
        (team[email], role)
        for email, role in listed
        if role and email in team and team[email].role != role
    ]
    return sorted(changes, key=lambda change: change[1] != Role.ADMIN)
