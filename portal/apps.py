"""App config for the project package (templates, system checks, commands)."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the deploy checks)
            session_limits,  # noqa: F401  (starts the session clock at sign-in)
        )
