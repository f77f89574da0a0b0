"""A bulk job: one action over many customers, one item per customer, each run on the queue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    kind = models.CharField(max_length=32)  # a key of jobs.kinds.KINDS
    label = models.CharField(max_length=120)  # as staff chose it: "Sync members"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who asked when no person did, as the audit names them: "command:sync_members".
    origin = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("retry_jobitem", "Retry a failed item of a job")]

    def __str__(self) -> str:
        return f"{self.label} #{self.pk}"

    def counts(self) -> dict[str, int]:
        found = dict(self.items.values_list("state").annotate(n=models.Count("pk")))
        return {state: found.get(state, 0) for state in JobItem.State.values}


class JobItem(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    customer = models.ForeignKey("tenants.Customer", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # A warning for a done item ("old key not deleted yet"), the reason for a failed one.
    message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Whoever pressed Retry last: the audit of the retried work names them.
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "customer"], name="one_item_per_customer")
        ]
        indexes = [models.Index(fields=["state", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.customer} ({self.state})"
