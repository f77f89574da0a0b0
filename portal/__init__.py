"""The Django project: settings, URLs, health views, branding and error pages."""

# Loaded with Django, so that tasks enqueued anywhere use this app and its settings.
from .celery import app as celery_app

__all__ = ["celery_app"]
