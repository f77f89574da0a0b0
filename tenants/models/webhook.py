"""The Space Invoices webhook endpoint registered for a customer's entity, secret encrypted."""

from django.db import models
from django.db.models import Q

from tenants.encryption import EncryptedTextField


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)

    def awaiting_upstream_deletion(self):
        return self.filter(retired_at__isnull=False, upstream_deleted_at__isnull=True)


class WebhookEndpoint(models.Model):
    """One endpoint upstream; at most one active per customer. A rotation retires the old
    one (still accepted until it is deleted upstream and its retries have run out)."""

    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    endpoint_id = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    # Python value: the signing secret (whsec_…). Database value: a Fernet token.
    secret = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # When Space Invoices made it (from its answer): deliveries, so usage counts, start here.
    registered_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    upstream_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the endpoint was deleted at Space Invoices."
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(retired_at__isnull=True),
                name="one_active_webhook_endpoint_per_customer",
            )
        ]
        permissions = [
            ("register_webhookendpoint", "Can register webhook endpoints"),
            ("rotate_webhookendpoint", "Can rotate webhook endpoint secrets"),
        ]

    def __str__(self) -> str:
        return self.endpoint_id

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.pk} {self.endpoint_id}>"
