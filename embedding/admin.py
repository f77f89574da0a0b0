"""The launch audit in the admin, read-only."""

from django.contrib import admin

from embedding.models import LaunchEvent


@admin.register(LaunchEvent)
class LaunchEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "user",
        "customer_slug",
        "mode",
        "outcome",
        "upstream_status",
        "client_ip",
        "request_id",
    ]
    list_filter = ["outcome", "mode"]
    search_fields = ["customer_slug", "user__email", "request_id"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
