"""Admin actions run on row ids only: a selection holding anything else is a 400 (Django's
admin filters on it as it is, and a crafted value such as a NUL byte was a 500)."""

from django.contrib.admin import helpers
from django.core.exceptions import SuspiciousOperation, ValidationError


class SelectionNotRows(SuspiciousOperation):
    """Logged on ``django.security.SelectionNotRows``, answered with the 400 page."""


class SelectionChecked:
    """Mixed into a ModelAdmin, before ``admin.ModelAdmin``: every selected value must be
    one of the model's primary keys before any action runs."""

    def response_action(self, request, queryset):
        key = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                key.to_python(value)
            except ValidationError:
                raise SelectionNotRows("an admin action's selection holds no row id") from None
        return super().response_action(request, queryset)
