"""App config for jobs: background work on Celery, and the bulk jobs staff start."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = gettext_lazy("Background jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The customer admin's list actions become jobs: tenants offers the hook and knows
        # nothing of this app (it stays below it in the layers).
        from tenants.admin.confirmation import bulk_runner_set
        from tenants.bulk_queue import bulk_enqueue_set

        from .bulk import job_create, job_start_from_admin

        bulk_runner_set(job_start_from_admin)
        bulk_enqueue_set(job_create)
