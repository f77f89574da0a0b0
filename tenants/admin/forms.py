"""The customer form: its details, and a member added by email."""

from django import forms
from django.utils.translation import gettext_lazy

from tenants.models import Customer, Role
from tenants.models.user import email_characters_check
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

    class Meta:
        model = Customer
        fields = ["name", "slug", "access_mode", *ENTITY_DETAIL_FIELDS]

    def __init__(self, *args, can_add_member: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # The language's default is a callable (the partner's default language), which makes
        # Django compare with a hidden initial value; the instance is the initial value here.
        if "locale" in self.fields:
            self.fields["locale"].show_hidden_initial = False
        # Fields that act are absent, not hidden, for staff without their permission.
        if not can_add_member:
            del self.fields["new_member_email"], self.fields["new_member_role"]

    def clean_slug(self) -> str:
        return slug_check(
            self.cleaned_data["slug"], self.instance.slug if self.instance.pk else None
        )
