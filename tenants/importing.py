"""Importing customers from CSV: every row checked first; all imported, or none."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.db import transaction

from tenants.models import Customer, Role, StaffAction
from tenants.services import membership_add, staff_action_record

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


class CustomerRowForm(forms.ModelForm):
    """One CSV row. ``members`` is ``email:role;email:role`` (role defaults to viewer)."""

    members = forms.CharField(required=False)
    is_tax_subject = forms.TypedChoiceField(
        required=False,
        empty_value=False,
        choices=[(v, v) for v in ("", "yes", "no", "true", "false", "1", "0")],
        coerce=lambda v: v.lower() in ("yes", "true", "1"),
    )

    class Meta:
        model = Customer
        # Every column but the two the form cleans itself.
        fields = [c for c in COLUMNS if c not in ("is_tax_subject", "members")]

    def clean_members(self):
        members = []
        for part in filter(None, (p.strip() for p in self.cleaned_data["members"].split(";"))):
            email, _, role = part.partition(":")
            role = (role or Role.VIEWER).strip().lower()
            try:
                forms.EmailField().clean(email.strip())
            except forms.ValidationError:
                raise forms.ValidationError(f"{email!r} is not an email address.") from None
            if role not in Role.values:
                raise forms.ValidationError(f"{role!r} is not a role (viewer, editor, admin).")
            members.append((email.strip().lower(), role))
        return members


@dataclass
class ImportPlan:
    rows: list[CustomerRowForm]
    errors: list[str]


def import_plan(path: Path) -> ImportPlan:
    """Read and check every row; errors name the row (as a spreadsheet numbers it) and column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = set(reader.fieldnames or [])
            raw_rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return ImportPlan([], [f"cannot read {path}: {exc}"])
    missing = REQUIRED_COLUMNS - header
    unknown = header - set(COLUMNS)
    errors = []
    if missing:
        errors.append(f"missing column(s): {', '.join(sorted(missing))}")
    if unknown:
        errors.append(f"unknown column(s): {', '.join(sorted(unknown))}")
    if errors:
        return ImportPlan([], errors)
    forms_, slugs = [], {}
    for number, raw in enumerate(raw_rows, start=2):
        data = {k: (v or "").strip() for k, v in raw.items() if k}
        data.setdefault("access_mode", "user")
        data["access_mode"] = data["access_mode"] or "user"
        form = CustomerRowForm(data=data)
        if form.is_valid():
            forms_.append(form)
        for column, messages in form.errors.items():
            for message in messages:
                errors.append(f"row {number}, column {column}: {message}")
        slug = data.get("slug")
        if slug and slug in slugs:
            errors.append(f"row {number}, column slug: {slug!r} repeats row {slugs[slug]}")
        slugs.setdefault(slug, number)
    if not raw_rows:
        errors.append("the file has no rows")
    return ImportPlan(forms_, errors)


def customers_import(*, plan: ImportPlan, actor) -> list[Customer]:
    """Create every customer of a checked plan, with its members, in one transaction."""
    assert not plan.errors, "import only a plan without errors"
    created = []
    with transaction.atomic():
        for form in plan.rows:
            customer = form.save(commit=False)
            customer.is_tax_subject = form.cleaned_data["is_tax_subject"]
            customer.save()
            for email, role in form.cleaned_data["members"]:
                membership_add(customer=customer, email=email, role=role, actor=actor, sync=False)
            staff_action_record(
                actor=actor,
                action=StaffAction.Action.IMPORT,
                customer=customer,
                detail=f"{len(form.cleaned_data['members'])} member(s)",
            )
            created.append(customer)
    return created
