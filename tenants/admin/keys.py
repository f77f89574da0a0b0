"""Entity API key rows: hints, dates and whether this portal can still read them.

A key is never shown and never decrypted into a form. A row no configured encryption key
reads (FIELD_ENCRYPTION_KEYS lost, or tampered with) shows as unreadable; a key custodian
may remove such a row, audited, once a replacement key is attached.
"""

from django.contrib import admin, messages
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tenants.encryption import readable
from tenants.models import EntityApiKey, StaffAction
from tenants.services import staff_action_record

from .confirmation import confirm_then

KEY_COLUMNS = ["prefix_hint", "status", "created_at", "expires_at", "revoked_at"]


def with_token(queryset):
    """The rows with their stored ciphertext as ``_token`` (never the decrypted key)."""
    return queryset.defer("key").annotate(_token=Cast("key", output_field=TextField()))


class KeyStatus:
    """Mixed into the key admin and the customer page's key inline."""

    @admin.display(description=_("Status"))
    def status(self, obj):
        if not readable(obj._token):
            return gettext("Unreadable here (remove it once a replacement key is attached)")
        if obj.revoked_at is None:
            return gettext("Active")
        if obj.upstream_deleted_at:
            return gettext("Revoked, deleted at Space Invoices")
        return gettext("Revoked, not yet deleted at Space Invoices")


@admin.register(EntityApiKey)
class EntityApiKeyAdmin(KeyStatus, admin.ModelAdmin):
    list_display = ["customer", *KEY_COLUMNS]
    list_filter = ["revoked_at"]
    list_select_related = ["customer"]
    search_fields = ["customer__name", "customer__slug", "prefix_hint"]
    fields = ["customer", *KEY_COLUMNS, "upstream_deleted_at"]
    readonly_fields = fields
    actions = ["remove_unreadable"]

    def get_queryset(self, request):
        return with_token(super().get_queryset(request))

    def has_add_permission(self, request):
        return False  # keys come from rotation or attaching, never typed in here

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # only unreadable rows leave, through the action below

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Remove unreadable key rows"), permissions=["remove"])
    def remove_unreadable(self, request, queryset):
        unreadable = [
            row for row in queryset.select_related("customer") if not readable(row._token)
        ]
        if len(unreadable) < len(queryset):
            self.message_user(
                request,
                gettext(
                    "Only rows this portal cannot read are removed; readable keys leave by "
                    "rotation."
                ),
                messages.WARNING,
            )

        def run(row):
            staff_action_record(
                actor=request.user,
                action=StaffAction.Action.REMOVE_KEY_ROW,
                customer=row.customer,
                detail=f"removed unreadable key row {row.prefix_hint}; the key itself may "
                "remain at Space Invoices",
            )
            EntityApiKey.objects.filter(pk=row.pk).delete()

        return confirm_then(
            self,
            request,
            queryset.filter(pk__in=[row.pk for row in unreadable]),
            verb=_("Remove key rows"),
            confirm=pgettext_lazy("confirmation button", "Yes, remove key rows"),
            run=run,
            explanation=_(
                "Removes these rows from the portal only. Their keys could not be read here, "
                "so they could not be deleted at Space Invoices and may still work there: "
                "delete them in the Space Invoices dashboard. A customer whose active key is "
                "removed cannot open invoicing until a key is rotated in or attached."
            ),
        )

    def has_remove_permission(self, request):
        return request.user.has_perm("tenants.delete_entityapikey")
