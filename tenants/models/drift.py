"""Where a customer and Space Invoices disagree, as the last drift check found it."""

from django.db import models


class DriftFinding(models.Model):
    class Kind(models.TextChoices):
        ENTITY_MISSING = "entity_missing", "Entity missing"
        ENTITY_ENABLED = "entity_enabled", "Enabled or disabled differently"
        DETAILS = "details", "Details differ"
        KEY_REFUSED = "key_refused", "Key refused"
        KEY_UNREADABLE = "key_unreadable", "Key missing or unreadable here"
        KEY_UNKNOWN = "key_unknown", "Keys this portal did not make"
        USERS = "users", "Users or roles differ"
        WEBHOOK = "webhook", "Webhook endpoint missing, inactive or at another address"

    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.CASCADE, related_name="drift_findings"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    detail = models.TextField()
    # Whether reconciling puts it right; a missing entity or key is for staff to decide.
    fixable = models.BooleanField()
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer__name", "kind"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.get_kind_display()}"
