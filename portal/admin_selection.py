"""Admin actions run on row ids only: a selection holding anything else is a 400 (Django's
admin filters on it as it is, and a crafted value such as a NUL byte was a 500)."""

from django.contrib.admin import helpers
from django.core.exceptions import SuspiciousOperation, ValidationError


class SelectionNotRows(SuspiciousOperation):
    """Logged on ``django.security.SelectionNotRows``, answered with the 400 page."""


class SelectionChecked:
    """Mixed into a ModelAdmin (every one on the site, by ``selection_checked_everywhere``):
    every selected value must be a primary key as the list itself writes it, before any
    action runs (``int()`` would also take ``' 1 '`` or other scripts' digits as row 1)."""

    def response_action(self, request, queryset):
        key = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                written = str(key.to_python(value))
            except ValidationError:
                written = None
            if written != value:
                raise SelectionNotRows("an admin action's selection holds no row id")
        return super().response_action(request, queryset)


def selection_checked_everywhere(site) -> None:
    """Every admin on ``site`` checks its selection, ours and other apps' (django-axes'
    lists, say), so that no new admin can forget it: each is registered again as a
    subclass with the check."""
    from django.apps import apps

    for model in apps.get_models():
        if not site.is_registered(model):
            continue
        model_admin = site.get_model_admin(model)
        if isinstance(model_admin, SelectionChecked):
            continue
        kind = type(model_admin)
        checked = type(kind.__name__, (SelectionChecked, kind), {"__module__": kind.__module__})
        site.unregister(model)
        site.register(model, checked)
