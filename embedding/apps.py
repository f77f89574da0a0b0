"""App config for embedding."""

from django.apps import AppConfig


class EmbeddingConfig(AppConfig):
    name = "embedding"
    verbose_name = "Invoicing launches"
    default_auto_field = "django.db.models.BigAutoField"
