"""App config for activity: the webhook inbox, what customers see, what partners bill by."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = gettext_lazy("Invoicing activity")
    default_auto_field = "django.db.models.BigAutoField"
