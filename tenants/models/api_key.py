"""A customer's entity API key, encrypted at rest; at most one active key per customer."""

from django.db import models
from django.db.models import Q

from tenants.encryption import EncryptedTextField


class EntityApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def awaiting_upstream_deletion(self):
        return self.filter(revoked_at__isnull=False, upstream_deleted_at__isnull=True)


class EntityApiKey(models.Model):
    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.PROTECT, related_name="api_keys"
    )
    name = models.CharField(max_length=255, blank=True)
    # Python value: the key. Database value: a Fernet token. Never displayed.
    key = EncryptedTextField()
    prefix_hint = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    upstream_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the key was deleted at Space Invoices."
    )

    objects = EntityApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_key_per_customer",
            )
        ]
        permissions = [("rotate_entityapikey", "Can rotate or attach entity API keys")]

    def __str__(self) -> str:
        return self.prefix_hint

    def __repr__(self) -> str:
        return f"<EntityApiKey {self.pk} {self.prefix_hint}>"
