"""The staff audit, read-only; reading it needs the view permission, not just staff status."""

from django.contrib import admin

from portal.admin_readonly import ReadOnlyModelAdmin
from tenants.models import StaffAction


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "actor_label", "action", "customer", "succeeded", "detail"]
    list_filter = ["action", "succeeded"]
    search_fields = ["actor_label", "customer__name", "detail"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
