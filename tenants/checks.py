"""System checks: customers provisioned in another environment than the configured key's."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from embedding.client import key_environment


@register(Tags.database)
def customers_environment_check(app_configs=None, **kwargs):
    from tenants.models import Customer

    environment = key_environment(settings.SPACEINVOICES_API_KEY or "")
    if environment is None:
        return []
    try:
        stray = Customer.objects.exclude(environment="").exclude(environment=environment).count()
    except DatabaseError:
        return []  # not migrated yet
    if not stray:
        return []
    return [
        Warning(
            f"{stray} customer(s) were provisioned in another environment than the "
            f"configured account key's ({environment}); their launches and syncs will fail.",
            hint="Point SPACEINVOICES_API_KEY at the right account, or re-provision them.",
            id="tenants.W001",
        )
    ]
