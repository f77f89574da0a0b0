"""Forms of the end-customer team page."""

from django import forms

from tenants.models import Role


class TeamMemberAddForm(forms.Form):
    email = forms.EmailField(label="Colleague's email")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
