"""The launch audit: every Open invoicing attempt and its outcome. Never the token."""

from django.conf import settings
from django.db import models


class LaunchEvent(models.Model):
    class Outcome(models.TextChoices):
        LAUNCHED = "launched", "Launched"
        # Sent to Space Invoices; the outcome follows. Left so when the outcome could not
        # be written: the process died, or the database failed it (embedding.launch_audit).
        STARTED = "started", "Started (outcome not recorded)"
        NOT_MEMBER = "not_member", "Not a member (404)"
        RATE_LIMITED = "rate_limited", "Rate limited (429)"
        INACTIVE = "inactive", "Customer inactive or disabled (403)"
        ROLE_TOO_LOW = "role_too_low", "Role below the key-mode floor (403)"
        NOT_PROVISIONED = "not_provisioned", "Not provisioned (409)"
        INVITED = "invited", "Member still invited (409)"
        KEY_REJECTED = "key_rejected", "Stored key refused upstream (503)"
        UNAVAILABLE = "unavailable", "Space Invoices unavailable (503)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "tenants.Customer", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_slug = models.CharField(max_length=80)
    mode = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One row per attempt, even when a lost connection has the row written again
            # while the first INSERT, its client gone unnoticed, still commits
            # (embedding.launch_audit). Rows without a request id are older or made by hand.
            models.UniqueConstraint(
                fields=["request_id"],
                condition=~models.Q(request_id=""),
                name="launchevent_one_row_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_slug} {self.outcome}"
