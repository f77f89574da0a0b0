"""App config for activity: the webhook inbox, what customers see, what partners bill by."""

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = "Invoicing activity"
    default_auto_field = "django.db.models.BigAutoField"
