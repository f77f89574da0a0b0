"""Webhook endpoint rows: which endpoint reports each customer's events, and its history.

The signing secret is never shown; registering and rotating are customer actions, each
behind its own permission.
"""

from django.contrib import admin
from django.utils.translation import gettext, gettext_lazy

from portal.admin_readonly import ReadOnlyModelAdmin
from tenants.models import WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyModelAdmin):
    list_display = ["endpoint_id", "customer", "url", "state", "created_at"]
    list_filter = [("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["endpoint_id", "customer__name", "customer__slug"]
    list_select_related = ["customer"]
    fields = ["endpoint_id", "customer", "url", "state", "created_at", "retired_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("secret")

    @admin.display(description=gettext_lazy("State"))
    def state(self, obj):
        if obj.retired_at is None:
            return gettext("Active")
        if obj.upstream_deleted_at:
            return gettext("Retired, deleted at Space Invoices")
        return gettext(
            "Retired, not yet deleted at Space Invoices (its deliveries are still accepted)"
        )
