"""One import row as a form: the same rules as the admin's, plus its members column."""

from django import forms

from tenants.countries import country_find
from tenants.import_file import COLUMNS
from tenants.models import Customer, Role
from tenants.models.user import EMAIL_MAX_LENGTH, email_characters_check
from tenants.text_rules import slug_check


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
