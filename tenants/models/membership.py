"""Who belongs to a customer, with which Space Invoices role, and its sync state."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from spaceinvoices import contract


class Role(models.TextChoices):
    # Exactly the Space Invoices roles (contract.ROLES), lowest first; a test holds them equal.
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Admin")

    @classmethod
    def rank(cls, role: str) -> int:
        return contract.role_rank(role)

    @classmethod
    def in_sentence(cls, role: str) -> str:
        """The role inside a sentence: "viewer" in English, "Betrachter" in German (whose
        nouns keep their capital), so never the label lower-cased."""
        return str(ROLE_IN_SENTENCE.get(role, role))

    @classmethod
    def listed(cls) -> str:
        """``viewer, editor or admin``, for messages."""
        return ", ".join(cls.values[:-1]) + f" or {cls.values[-1]}"


ROLE_IN_SENTENCE = {
    "viewer": pgettext_lazy("role inside a sentence", "viewer"),
    "editor": pgettext_lazy("role inside a sentence", "editor"),
    "admin": pgettext_lazy("role inside a sentence", "admin"),
}


class SyncState(models.TextChoices):
    PENDING = "pending", "Not synced yet"
    SYNCED = "synced", "In step"
    INVITED = "invited", "Invited, not accepted yet"
    FAILED = "failed", "Sync failed"
    REMOVING = "removing", "Removal pending upstream"
    INACTIVE = "inactive", "User deactivated"
    NOT_APPLICABLE = "n/a", "Not a Space Invoices user (API-key mode)"


# States in which Space Invoices matches the portal, and how the team page words them.
APPLIED = (SyncState.SYNCED, SyncState.INVITED, SyncState.NOT_APPLICABLE, SyncState.INACTIVE)
TEAM_WORDS = {
    SyncState.SYNCED: _("Active"),
    SyncState.NOT_APPLICABLE: _("Active"),
    SyncState.INVITED: _("Invited to invoicing, not accepted yet"),
    SyncState.INACTIVE: _("Account turned off"),
}


class Membership(models.Model):
    # Names this member's upstream steps (member.add:<uuid>, …).
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    customer = models.ForeignKey(
        "tenants.Customer", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    si_user_id = models.CharField("Space Invoices user id", max_length=64, blank=True)
    invitation_id = models.CharField(max_length=64, blank=True)
    sync_state = models.CharField(
        max_length=16, choices=SyncState.choices, default=SyncState.PENDING
    )
    # The role Space Invoices last confirmed (blank: none yet). While a change is pending it
    # says what the member can still do there, which may be more than ``role`` says.
    applied_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["customer__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="one_membership_per_user")
        ]
        permissions = [
            (
                "resend_invitation",
                "Can have Space Invoices resend its invitation email to a member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.customer} ({self.role})"

    @property
    def is_applied(self) -> bool:
        """Space Invoices holds this membership as the portal does (or need not hold it)."""
        return self.sync_state in APPLIED

    @property
    def team_status(self) -> str:
        """Where this member stands, in words for the customer's own team page."""
        if self.sync_state == SyncState.REMOVING:
            return _(
                "Removed here; invoicing has not confirmed the removal, so they may still "
                "sign in there until the next sync."
            )
        if self.sync_state in (SyncState.PENDING, SyncState.FAILED):
            if self.applied_role and self.applied_role != self.role:
                return _(
                    "Change saved here, not yet confirmed by invoicing: until the next sync "
                    "they may still be %(role)s there."
                ) % {"role": Role.in_sentence(self.applied_role)}
            return _("Saved here, not yet confirmed by invoicing; the next sync sees to it.")
        if self.sync_state in (SyncState.SYNCED, SyncState.NOT_APPLICABLE) and (
            not self.user.has_usable_password()
        ):
            # Added, and welcomed by email: "Active" would read as if they had taken it up.
            return _("Added; has not chosen a password yet")
        return TEAM_WORDS.get(self.sync_state, _("Active"))
