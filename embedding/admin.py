"""The launch audit in the admin, read-only."""

from django.contrib import admin

from embedding.models import LaunchEvent
from portal.admin_readonly import ReadOnlyModelAdmin


@admin.register(LaunchEvent)
class LaunchEventAdmin(ReadOnlyModelAdmin):
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
