"""Forms of the end-customer team page."""

from django import forms

from tenants.models import Role
from tenants.models.user import EMAIL_MAX_LENGTH


class TeamMemberAddForm(forms.Form):
    email = forms.EmailField(label="Colleague's email", max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
