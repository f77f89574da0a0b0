"""What the portal is about to write at Space Invoices, recorded before it calls."""

from django.db import models
from django.db.models import Q


class UpstreamIntent(models.Model):
    """One upstream write: recorded and committed before the call, closed once answered.

    An open intent is a write whose outcome is unknown (the process died, no answer came,
    a 5xx or a 429): its request id is used again, so Space Invoices replays instead of
    acting twice, but only while it is the customer's latest intent: once any other write
    for the customer came after it, a replay could undo that write (a disable replayed
    after an enable), so it is superseded. Once any answer is recorded the intent is
    closed, and the next attempt at that step gets a new id (Space Invoices replays 4xx
    answers too).
    """

    class Outcome(models.TextChoices):
        OPEN = "", "Outcome unknown"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"
        # Another write for the customer came after it: replaying its id could undo that.
        SUPERSEDED = "superseded", "Superseded"

    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.CASCADE, related_name="upstream_intents"
    )
    # What is written: "entity.create", "key.create", "member.add:<uuid>", ...
    step = models.CharField(max_length=200)
    request_id = models.CharField(max_length=200, unique=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "step"],
                condition=Q(outcome=""),
                name="one_open_intent_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step} ({self.get_outcome_display()})"


class CustomerLease(models.Model):
    """Where the database has no session advisory locks (SQLite): a lease that frees
    itself when it expires, so a killed run never blocks the next one for long."""

    customer = models.OneToOneField(
        "tenants.Customer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lease of customer {self.customer_id} until {self.expires_at:%H:%M:%S}"
