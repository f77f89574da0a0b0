"""Importing customers from CSV, streamed: checked row by row, then saved all or none.

A file is read twice, never held in memory: once to check every row and count what would
happen (``import_check``), once to save (``customers_import``), in one transaction that
checks every row again. A row whose slug exists updates that customer ("changed"); a new
slug creates one, left pending: provisioning is the command's ``--provision`` or a later
run, never part of an import.
"""

import csv
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django import forms
from django.db import transaction

from tenants.countries import country_find
from tenants.errors import TenantError
from tenants.import_members import (
    listed_emails,
    members_refused,
    members_to_add,
    roles_to_change,
    team_lookup,
)
from tenants.models import Customer, DetailsState, Membership, Role, StaffAction
from tenants.models.user import EMAIL_MAX_LENGTH, email_characters_check
from tenants.services import membership_add, membership_role_set, staff_action_record
from tenants.text_rules import slug_check

COLUMNS = [
    "name",
    "slug",
    "country",
    "address",
    "city",
    "post_code",
    "tax_number",
    "is_tax_subject",
    "access_mode",
    "members",
]
REQUIRED_COLUMNS = {"name", "slug", "country"}
_CELLS = "__cells__"  # a row's shape problem, in place of its data
CHUNK = 500  # rows looked up together: one query a chunk, whatever the file's size
ERRORS_KEPT = 50  # the first errors are listed; all are counted


class CustomerRowForm(forms.ModelForm):
    """One CSV row. ``members`` is ``email:role;email:role``. A role left out is viewer for
    a new member and, for one the customer has, the role they have (only a named role is a
    change: a list of addresses must not demote every admin on it)."""

    members = forms.CharField(required=False)
    is_tax_subject = forms.TypedChoiceField(
        required=False,
        empty_value=False,
        choices=[(v, v) for v in ("", "yes", "no", "true", "false", "1", "0")],
        coerce=lambda v: v.lower() in ("yes", "true", "1"),
    )

    class Meta:
        model = Customer
        fields = [c for c in COLUMNS if c not in ("is_tax_subject", "members")]

    def __init__(self, *args, kept: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Fields the row says nothing about: neither read nor checked, so they stay as
        # stored (a value saved before a rule included).
        for name in kept:
            self.fields.pop(name, None)

    def validate_unique(self):
        pass  # a slug that exists is an update; repeats in the file are caught by the reader

    def clean_slug(self) -> str:
        return slug_check(
            self.cleaned_data["slug"], self.instance.slug if self.instance.pk else None
        )

    def clean_country(self) -> str:
        # "si" or "slovenia" as the stored "Slovenia": the same country is no change (the
        # model's validator refuses one that names none).
        value = self.cleaned_data["country"]
        found = country_find(value)
        return found[1] if found else value

    def clean_members(self):
        members = {}
        for part in filter(None, (p.strip() for p in self.cleaned_data["members"].split(";"))):
            email, _, role = part.partition(":")
            email, role = email.strip().lower(), role.strip().lower()  # "": not named
            if len(email) > EMAIL_MAX_LENGTH:
                raise forms.ValidationError(
                    f"{email[:40]}... is longer than an email address can be "
                    f"({EMAIL_MAX_LENGTH} characters)."
                )
            try:
                forms.EmailField(validators=[email_characters_check]).clean(email)
            except forms.ValidationError as exc:
                # Said as the team page says it: what is wrong, not only that it is.
                raise forms.ValidationError(f"{email!r}: {' '.join(exc.messages)}") from None
            if role and role not in Role.values:
                raise forms.ValidationError(f"{role!r} is not a role (viewer, editor, admin).")
            if email in members:
                raise forms.ValidationError(f"{email} is listed twice in this row.")
            members[email] = role
        return list(members.items())

    def clean(self):
        cleaned = super().clean()
        stored = self.instance
        if stored.pk and stored.is_offboarding:
            self.add_error(
                "slug", f"{stored} has been offboarded; an archived record stays as it is."
            )
        elif stored.pk and stored.entity_id:
            if "country" in cleaned and cleaned["country"] != stored.country:
                self.add_error("country", "Space Invoices never changes an entity's country.")
            if "access_mode" in cleaned and cleaned["access_mode"] != stored.access_mode:
                self.add_error(
                    "access_mode", "Switch a provisioned customer's access mode in the admin."
                )
        return cleaned


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

    @property
    def details_change(self) -> bool:
        """A field of the customer itself differs from what is stored."""
        if self.existing is None:
            return True
        data = self.form.cleaned_data
        fields = [f for f in self.form.fields if f != "members"]
        return any(data[f] != getattr(self.existing, f) for f in fields)

    @property
    def to_add(self) -> list[tuple[str, str]]:
        return members_to_add(listed=self.form.cleaned_data["members"], team=self.team)

    @property
    def roles_changed(self) -> list[tuple[Membership, str]]:
        return roles_to_change(listed=self.form.cleaned_data["members"], team=self.team)

    @property
    def changes(self) -> bool:
        """Anything to write: the customer's fields, a member it does not have yet, or a
        member's role (emails compared in lower case, as the members are matched)."""
        return self.details_change or bool(self.to_add) or bool(self.roles_changed)


def _reader(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        # "Name" or " slug " as a spreadsheet may write them: the columns are named alike.
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
        header = set(reader.fieldnames)
        missing, unknown = REQUIRED_COLUMNS - header, header - set(COLUMNS)
        if missing or unknown:
            problems = [f"missing column(s): {', '.join(sorted(missing))}"] if missing else []
            if unknown:
                problems.append(f"unknown column(s): {', '.join(sorted(unknown))}")
            raise ValueError("; ".join(problems))
        for number, raw in enumerate(reader, start=2):
            # A row with more or fewer cells than the header (an unquoted comma, say) would
            # put values under the wrong columns: refused, never read as it falls.
            if None in raw or None in raw.values():
                shape = "more" if None in raw else "fewer"
                yield (
                    number,
                    {_CELLS: f"{shape} cells than the header (quote a value with a comma)"},
                )
                continue
            data = {k: (v or "").strip() for k, v in raw.items() if k}
            if "is_tax_subject" in data:
                data["is_tax_subject"] = data["is_tax_subject"].lower()  # Yes, TRUE, …
            yield number, data


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


def _checked(path: Path, summary: ImportSummary) -> Iterator[CheckedRow]:
    """Every valid row, checked; invalid ones are counted and described in ``summary``."""
    seen: dict[str, int] = {}  # slug → first row: the only per-row state kept
    rows = _reader(path)
    while chunk := list(islice(rows, CHUNK)):
        slugs = {data.get("slug") for _, data in chunk}
        existing = {c.slug: c for c in Customer.objects.filter(slug__in=slugs)}
        emails = set().union(*(listed_emails(data.get("members", "")) for _, data in chunk))
        teams = team_lookup(customers=existing.values(), emails=emails)
        for number, data in chunk:
            summary.rows += 1
            if _CELLS in data:
                summary.invalid += 1
                summary.error(f"row {number}: {data[_CELLS]}")
                continue
            slug = data.get("slug", "")
            # A copy: checking the form writes its values into its instance, and the stored
            # customer is what a row is compared with.
            stored = existing.get(slug)
            if stored is None:
                form = CustomerRowForm(data=_defaults(data))
            else:
                form = CustomerRowForm(data=data, instance=copy(stored), kept=_kept(data))
            problems = [
                f"row {number}, column {column}: {message}"
                for column, messages in form.errors.items()
                for message in messages
            ]
            if not form.errors:
                problems += [
                    f"row {number}, column members: {problem}"
                    for problem in members_refused(
                        listed=form.cleaned_data["members"],
                        team=teams.team(stored),
                        turned_off=teams.turned_off,
                    )
                ]
            if slug and slug in seen:
                problems.append(f"row {number}, column slug: {slug!r} repeats row {seen[slug]}")
            seen.setdefault(slug, number)
            if problems:
                summary.invalid += 1
                for problem in problems:
                    summary.error(problem)
                continue
            yield CheckedRow(number, form, stored, teams.team(stored))


def _read_problem(exc: Exception) -> str:
    # Said without the path: in the admin it is the upload's stored copy, not its name.
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"the file is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at position "
            f"{exc.start}): save it as “CSV UTF-8” and try again"
        )
    if isinstance(exc, OSError):
        return f"cannot read the file: {exc.strerror or exc}"
    return str(exc) if isinstance(exc, ValueError) else f"cannot read the file: {exc}"


def import_check(path: Path) -> ImportSummary:
    """Count what importing ``path`` would do (new, changed, unchanged, invalid rows), and
    describe the first errors by row and column. Reads the file once, row by row."""
    summary = ImportSummary()
    try:
        for row in _checked(path, summary):
            if row.existing is None:
                summary.new += 1
            elif row.changes:
                summary.changed += 1
            else:
                summary.unchanged += 1
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        summary.error(_read_problem(exc))
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
    """What an import saved: every customer its file names, in file order; the new ones."""

    customers: list[Customer] = field(default_factory=list)
    created: list[Customer] = field(default_factory=list)


def customers_import(*, path: Path, actor) -> Imported:
    """Create or update every customer in ``path``, with its members, in one transaction:
    all rows or none (ImportInvalid, nothing saved)."""
    summary, imported = ImportSummary(), Imported()
    try:
        with transaction.atomic():
            for row in _checked(path, summary):
                try:
                    customer = _save(row, actor)
                except TenantError as exc:  # changed since the check: refused as a row
                    summary.invalid += 1
                    summary.error(f"row {row.number}: {exc}")
                    continue
                imported.customers.append(customer)
                if row.existing is None:
                    imported.created.append(customer)
            if summary.error_count or not summary.rows:
                raise ImportInvalid(summary)  # rolls back every row saved above
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        summary.error(_read_problem(exc))
        raise ImportInvalid(summary) from None
    return imported


def _save(row: CheckedRow, actor) -> Customer:
    data = row.form.cleaned_data
    changed = row.changes
    customer = row.form.save(commit=False)
    if "is_tax_subject" in data:  # a declared field: the model form does not set it
        customer.is_tax_subject = data["is_tax_subject"]
    if row.existing and row.existing.entity_id and row.details_change:
        # Sent by "Send details to Space Invoices" or update_entity_details --all-behind.
        customer.details_state = DetailsState.PENDING
    customer.save()
    # Applied in Space Invoices by the next sync (provision_customers, or the admin's).
    added, roles = row.to_add, row.roles_changed
    for email, role in added:
        membership_add(customer=customer, email=email, role=role, actor=actor, sync=False)
    for membership, role in roles:
        membership_role_set(membership=membership, role=role, actor=actor, sync=False)
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
