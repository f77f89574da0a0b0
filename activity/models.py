"""The webhook inbox, each invoice's latest known state, and the documents counted for usage."""

from django.db import models


class Delivery(models.Model):
    """A verified webhook delivery, stored as received before it is processed. A repeat
    (same endpoint, same body: Space Invoices' retry) is counted on the first, never stored
    twice. Unverified requests are never stored."""

    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    endpoint_id = models.CharField(max_length=100)
    body_sha256 = models.CharField(max_length=64)
    body = models.BinaryField()
    headers = models.JSONField(default=dict)
    event = models.CharField(max_length=60, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    repeats = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint_id", "body_sha256"], name="delivery_once")
        ]
        permissions = [("replay_delivery", "Can replay webhook deliveries")]

    def __str__(self) -> str:
        return f"{self.event or 'delivery'} {self.received_at:%Y-%m-%d %H:%M:%S}"


class InvoiceActivity(models.Model):
    """One invoice as the webhooks told it: enough for a company's month at a glance."""

    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.CASCADE, related_name="invoice_activity"
    )
    invoice_id = models.CharField(max_length=100)
    number = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_due = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    date_due = models.DateTimeField(null=True, blank=True)
    # Space Invoices' updated_at of the newest object applied: an older one arriving late
    # (deliveries are retried out of order) never overwrites it.
    upstream_updated_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True, db_index=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "invoice activity"
        indexes = [models.Index(fields=["customer", "issued_at"])]
        # Per customer: an invoice id another customer's endpoint reports is another row,
        # never this one (a leaked secret reaches one customer's figures at most).
        constraints = [
            models.UniqueConstraint(fields=["customer", "invoice_id"], name="invoice_once")
        ]

    def __str__(self) -> str:
        return self.number or self.invoice_id

    @property
    def is_overdue(self) -> bool:
        return bool(self.overdue_at and not self.paid_at and not self.voided_at)


class UsageEvent(models.Model):
    """A document made in Space Invoices (invoice, estimate, credit note, advance invoice):
    what partners bill by. One per delivery, so a replay never counts twice."""

    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.CASCADE, related_name="usage_events"
    )
    delivery = models.OneToOneField(Delivery, on_delete=models.SET_NULL, null=True, blank=True)
    document_type = models.CharField(max_length=40)
    document_id = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "document_type", "document_id"], name="usage_counted_once"
            )
        ]
        permissions = [("view_usage_report", "Can view the usage report")]

    def __str__(self) -> str:
        return f"{self.document_type} {self.document_id}"


class OverdueAlert(models.Model):
    """A company admin who asked to be emailed when one of its invoices becomes overdue."""

    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.CASCADE, related_name="overdue_alerts"
    )
    user = models.ForeignKey("tenants.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="overdue_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.customer}"
