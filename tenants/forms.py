"""Forms of the end-customer team page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import Role, User
from tenants.models.user import EMAIL_MAX_LENGTH, email_characters_check


class TeamMemberAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Colleague's email"),
        max_length=EMAIL_MAX_LENGTH,
        validators=[email_characters_check],
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def clean_email(self):
        email = self.cleaned_data["email"]
        # Partner staff are given access by the partner, never by a customer's admin.
        if User.objects.filter(email__iexact=email, is_staff=True).exists():
            raise forms.ValidationError(
                _("This address belongs to our own staff; ask us if they need access.")
            )
        return email


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
