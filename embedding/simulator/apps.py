"""Installed only in development (SPACEINVOICES_SIMULATOR_ENABLED) for ``manage.py simulator``."""

from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "embedding.simulator"
    label = "simulator"
    verbose_name = "Space Invoices simulator"
