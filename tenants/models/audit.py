"""The staff audit trail: who did what to which customer, and when. Never a secret."""

from django.conf import settings
from django.db import models


class StaffAction(models.Model):
    class Action(models.TextChoices):
        PROVISION = "provision", "Provision"
        ROTATE_KEY = "rotate_key", "Rotate key"
        ATTACH_KEY = "attach_key", "Attach key"
        SYNC_MEMBERS = "sync_members", "Sync members"
        ADD_MEMBER = "add_member", "Add member"
        CHANGE_ROLE = "change_role", "Change role"
        REMOVE_MEMBER = "remove_member", "Remove member"
        DEACTIVATE_USER = "deactivate_user", "Deactivate user"
        ACTIVATE_USER = "activate_user", "Activate user"
        DISABLE = "disable", "Disable"
        ENABLE = "enable", "Enable"
        SET_ACCESS_MODE = "set_access_mode", "Change access mode"
        IMPORT = "import", "Import"
        UPDATE_DETAILS = "update_details", "Update entity details"
        RESEND_INVITATION = "resend_invitation", "Resend invitation"
        OFFBOARD = "offboard", "Offboard"
        REMOVE_KEY_ROW = "remove_key_row", "Remove unreadable key row"
        CHANGE_STAFF_ACCESS = "change_staff_access", "Change staff access"
        RESET_SECOND_FACTOR = "reset_second_factor", "Reset second factor"
        RECONCILE = "reconcile", "Reconcile with Space Invoices"
        REGISTER_WEBHOOK = "register_webhook", "Register webhook endpoint"
        ROTATE_WEBHOOK = "rotate_webhook", "Rotate webhook endpoint"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # For work without a logged-in user: "command:rotate_entity_keys", "system".
    actor_label = models.CharField(max_length=120)
    action = models.CharField(max_length=32, choices=Action.choices)
    customer = models.ForeignKey(
        "tenants.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    succeeded = models.BooleanField(default=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.customer_id or ''}".strip()
