"""Importing customers from CSV, streamed: checked row by row, then saved all or none.

A file is read twice, never held in memory: once to check every row and count what would
happen (``import_check``), once to save (``customers_import``), in one transaction that
checks every row again. A row whose slug exists updates that customer ("changed"); a new
slug creates one, left pending: provisioning is the command's ``--provision`` or a later
run, never part of an import.
"""

import csv
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path

from django.db import transaction

from tenants.errors import TenantError
from tenants.import_file import CELLS, COLUMNS, read_problem, rows_read
from tenants.import_form import CustomerRowForm
from tenants.import_members import (
    addresses_in,
    members_refused,
    members_to_add,
    roles_to_change,
    team_lookup,
)
from tenants.models import Customer, DetailsState, Membership, StaffAction
from tenants.services import membership_add, membership_role_set, staff_action_record

CHUNK = 500  # rows looked up together: a few queries a chunk, whatever the file's size
ERRORS_KEPT = 50  # the first errors are listed; all are counted
Progress = Callable[[int], None] | None  # told the rows read so far, after each chunk


@dataclass
class ImportSummary:
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[str] = field(default_factory=list)  # the first ERRORS_KEPT
    error_count: int = 0

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(message)


@dataclass
class CheckedRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    form: CustomerRowForm
    existing: Customer | None
    team: dict[str, Membership]  # the stored customer's, by lower-case email

    # Cached: read once before the row is saved (saving brings the team in line with it).
    @cached_property
    def details_change(self) -> bool:
        """A field of the customer itself differs from what is stored."""
        if self.existing is None:
            return True
        data = self.form.cleaned_data
        fields = [f for f in self.form.fields if f != "members"]
        return any(data[f] != getattr(self.existing, f) for f in fields)

    @cached_property
    def to_add(self) -> list[tuple[str, str]]:
        return members_to_add(listed=self.form.cleaned_data["members"], team=self.team)

    @cached_property
    def roles_changed(self) -> list[tuple[Membership, str]]:
        return roles_to_change(listed=self.form.cleaned_data["members"], team=self.team)

    @cached_property
    def changes(self) -> bool:
        """Anything to write: the customer's fields, a member it does not have yet, or a
        member's role (emails compared in lower case, as the members are matched)."""
        return self.details_change or bool(self.to_add) or bool(self.roles_changed)


def _defaults(data: dict) -> dict:
    """A new customer's row with the defaults of what it leaves out."""
    return {**data, "access_mode": data.get("access_mode") or "user"}


def _kept(data: dict) -> tuple[str, ...]:
    """An existing customer's fields a row says nothing about: a column the file does not
    have, or an empty access mode. A file of names and countries must not blank every
    address; an empty cell in a column the file has does clear its field."""
    absent = [name for name in COLUMNS if name != "members" and name not in data]
    if "access_mode" in data and not data["access_mode"]:
        absent.append("access_mode")
    return tuple(absent)


def _checked(
    path: Path, summary: ImportSummary, *, lock: bool = False, progress: Progress = None
) -> Iterator[CheckedRow]:
    """Every valid row, checked; invalid ones are counted and described in ``summary``.
    Rows are read a chunk at a time (their customers and accounts looked up together) and
    checked one by one: a checked row's form is never held beyond its turn."""
    seen: dict[str, int] = {}  # slug → first row: the only state kept across chunks
    rows = rows_read(path)
    while chunk := list(islice(rows, CHUNK)):
        slugs = {data.get("slug") for _, data in chunk}
        found = Customer.objects.filter(slug__in=slugs).order_by("pk")
        if lock:  # saving: each customer is read as it is now, and held until the commit
            found = found.select_for_update()
        existing = {c.slug: c for c in found}
        emails = set().union(*(addresses_in(data.get("members", "")) for _, data in chunk))
        teams = team_lookup(customers=existing.values(), emails=emails)
        for number, data in chunk:
            summary.rows += 1
            if CELLS in data:
                summary.invalid += 1
                summary.error(f"row {number}: {data[CELLS]}")
                continue
            slug = data.get("slug", "")
            stored = existing.get(slug)
            # A copy: checking the form writes its values into its instance, and the stored
            # customer is what a row is compared with.
            if stored is None:
                form = CustomerRowForm(data=_defaults(data))
            else:
                form = CustomerRowForm(data=data, instance=copy(stored), kept=_kept(data))
            problems = _form_problems(number, form, teams.team(stored), teams.turned_off)
            if slug and slug in seen:
                problems.append(f"row {number}, column slug: {slug!r} repeats row {seen[slug]}")
            seen.setdefault(slug, number)
            if problems:
                summary.invalid += 1
                for problem in problems:
                    summary.error(problem)
                continue
            yield CheckedRow(number, form, stored, teams.team(stored))
        if progress is not None:
            progress(summary.rows)


def _form_problems(number: int, form: CustomerRowForm, team, turned_off) -> list[str]:
    problems = [
        f"row {number}, column {column}: {message}"
        for column, messages in form.errors.items()
        for message in messages
    ]
    if not form.errors:
        refused = members_refused(
            listed=form.cleaned_data["members"], team=team, turned_off=turned_off
        )
        problems += [f"row {number}, column members: {problem}" for problem in refused]
    return problems


def import_check(path: Path, *, progress: Progress = None) -> ImportSummary:
    """Count what importing ``path`` would do (new, changed, unchanged, invalid rows), and
    describe the first errors by row and column. Reads the file once, row by row."""
    summary = ImportSummary()
    try:
        for row in _checked(path, summary, progress=progress):
            if row.existing is None:
                summary.new += 1
            elif row.changes:
                summary.changed += 1
            else:
                summary.unchanged += 1
    except (OSError, csv.Error, ValueError) as exc:  # bytes not UTF-8 are rows' errors
        summary.error(read_problem(exc))
    if not summary.rows and not summary.error_count:
        summary.error("the file has no rows")
    return summary


class ImportInvalid(Exception):
    """The file has errors: nothing was saved."""

    def __init__(self, summary: ImportSummary):
        super().__init__(f"{summary.error_count} error(s); nothing imported")
        self.summary = summary


@dataclass
class Imported:
    """What an import saved: the id of every customer its file names, in file order; how
    many are new, and how many existing ones it changed. Ids, not rows: a file of 100,000
    customers is not held in memory for the provisioning that may follow."""

    customer_ids: list[int] = field(default_factory=list)
    created: int = 0
    changed: int = 0


def customers_import(*, path: Path, actor, progress: Progress = None) -> Imported:
    """Create or update every customer in ``path``, with its members, in one transaction:
    all rows or none (ImportInvalid, nothing saved)."""
    summary, imported = ImportSummary(), Imported()
    with transaction.atomic():
        # The file's problems are caught inside the transaction: what follows its commit
        # (the members' emails) is never mistaken for a file that could not be read.
        try:
            for row in _checked(path, summary, lock=True, progress=progress):
                try:
                    customer = _save(row, actor)
                except TenantError as exc:  # changed since the check: refused as a row
                    summary.invalid += 1
                    summary.error(f"row {row.number}: {exc}")
                    continue
                imported.customer_ids.append(customer.pk)
                if row.existing is None:
                    imported.created += 1
                elif row.changes:
                    imported.changed += 1
        except (OSError, csv.Error, ValueError) as exc:  # bytes not UTF-8 are rows' errors
            summary.error(read_problem(exc))
        if summary.error_count or not summary.rows:
            raise ImportInvalid(summary)  # rolls back every row saved above
    return imported


def _save(row: CheckedRow, actor) -> Customer:
    data = row.form.cleaned_data
    changed = row.changes
    customer = row.form.save(commit=False)
    written = [name for name in row.form.fields if name != "members"]
    if "is_tax_subject" in data:  # a declared field: the model form does not set it
        customer.is_tax_subject = data["is_tax_subject"]
        written.append("is_tax_subject")
    if row.existing and row.existing.entity_id and row.details_change:
        # Sent by "Send details to Space Invoices" or update_entity_details --all-behind.
        customer.details_state = DetailsState.PENDING
        written.append("details_state")
    if row.existing is None:
        customer.save()
    elif changed:
        # Only what the row says: a Disable or a provisioning that ran while the import
        # read its file is not written back over (the row was read under its lock too).
        customer.save(update_fields=[*set(written), "updated_at"])
    # Applied in Space Invoices by the next sync (provision_customers, or the admin's).
    added, roles = row.to_add, row.roles_changed
    for email, role in added:
        membership_add(customer=customer, email=email, role=role, actor=actor, sync=False)
    for membership, role in roles:
        membership_role_set(
            membership=membership, role=role, actor=actor, keep_an_admin=True, sync=False
        )
    if changed:
        verb = "updated" if row.existing else "created"
        staff_action_record(
            actor=actor,
            action=StaffAction.Action.IMPORT,
            customer=customer,
            detail=f"row {row.number}: {verb}, {len(added)} member(s) added, "
            f"{len(roles)} role(s) changed",
        )
    return customer
