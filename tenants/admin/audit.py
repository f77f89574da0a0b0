"""The staff audit, read-only; reading it needs the view permission, not just staff status."""

from django.contrib import admin

from tenants.models import StaffAction


@admin.register(StaffAction)
class StaffActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "customer", "succeeded", "detail"]
    list_filter = ["action", "succeeded"]
    search_fields = ["actor_label", "customer__name", "detail"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
