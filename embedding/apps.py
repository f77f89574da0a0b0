"""App config for embedding."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class EmbeddingConfig(AppConfig):
    name = "embedding"
    verbose_name = gettext_lazy("Invoicing launches")
    default_auto_field = "django.db.models.BigAutoField"
