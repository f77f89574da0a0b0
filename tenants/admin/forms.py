"""The customer form: add a member by email, attach a key by hand (replace-only, never shown)."""

from django import forms
from django.utils.translation import gettext, gettext_lazy

from spaceinvoices.client import SpaceInvoicesError
from tenants.errors import KeyRejected
from tenants.models import Customer, Role
from tenants.models.user import email_characters_check
from tenants.services import entity_key_verify
from tenants.text_rules import slug_check

# What Space Invoices receives when the entity is created.
ENTITY_DETAIL_FIELDS = [
    "address",
    "city",
    "post_code",
    "country",
    "tax_number",
    "is_tax_subject",
    "locale",
]


class CustomerAdminForm(forms.ModelForm):
    new_member_email = forms.EmailField(
        required=False,
        validators=[email_characters_check],
        label=gettext_lazy("Add a member by email"),
        help_text=gettext_lazy("A new portal user gets an email to set a password."),
    )
    new_member_role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=Role.choices, initial=Role.VIEWER, required=False
    )
    attach_entity_key = forms.CharField(
        required=False,
        strip=True,
        label=gettext_lazy("Replace the entity API key"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "For an entity made elsewhere: paste its key. It is checked with Space Invoices "
            "before it is saved, and never shown again."
        ),
    )
    attach_entity_id = forms.CharField(
        required=False,
        label=gettext_lazy("Entity id for that key"),
        help_text=gettext_lazy("Only when this customer has no entity yet."),
    )

    class Meta:
        model = Customer
        fields = ["name", "slug", "access_mode", *ENTITY_DETAIL_FIELDS]

    def __init__(
        self,
        *args,
        can_attach_key: bool = False,
        can_add_member: bool = False,
        key_checks: dict | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # The language's default is a callable (the partner's default language), which makes
        # Django compare with a hidden initial value; the instance is the initial value here.
        if "locale" in self.fields:
            self.fields["locale"].show_hidden_initial = False
        # (entity id, key) → the problem Space Invoices found, or None: checked beforehand.
        self.key_checks = key_checks or {}
        # Fields that act are absent, not hidden, for staff without their permission.
        if not can_attach_key:
            del self.fields["attach_entity_key"], self.fields["attach_entity_id"]
        if not can_add_member:
            del self.fields["new_member_email"], self.fields["new_member_role"]

    def clean_slug(self) -> str:
        return slug_check(
            self.cleaned_data["slug"], self.instance.slug if self.instance.pk else None
        )

    def clean(self):
        data = super().clean()
        key = data.get("attach_entity_key")
        if key:
            entity_id = self.instance.entity_id or data.get("attach_entity_id", "").strip()
            if not entity_id:
                self.add_error(
                    "attach_entity_id", gettext("Give the entity id this key belongs to.")
                )
                return data
            checked = self.key_checks.get(
                (entity_id, key), gettext("The key could not be checked.")
            )
            if checked:
                self.add_error("attach_entity_key", checked)
        return data


def attach_key_problem(*, entity_id: str, key: str) -> str | None:
    """What is wrong with a pasted key, asked of Space Invoices; None when it is accepted.
    Called before the admin opens its transaction: never inside one."""
    try:
        entity_key_verify(entity_id=entity_id, key=key)
    except KeyRejected as exc:
        return str(exc)
    except SpaceInvoicesError as exc:
        return gettext("Could not check the key now: %(error)s") % {"error": exc}
    return None
