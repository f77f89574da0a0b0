"""Partner staff: the webhook inbox (with replay) and the usage report."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from portal.admin_readonly import ReadOnlyModelAdmin

from .inbox import refusals_today
from .models import Delivery, UsageEvent
from .processing import delivery_process
from .usage_report import usage_report_view


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    list_display = ["received_at", "customer", "event", "processed", "repeats", "error"]
    list_filter = ["event", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__name", "customer__slug", "endpoint_id", "event"]
    list_select_related = ["customer"]
    date_hierarchy = "received_at"
    fields = [
        "customer", "endpoint_id", "event", "received_at", "processed_at", "repeats",
        "error", "headers", "body_text",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["replay"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body")

    @admin.display(description=gettext_lazy("Processed"), boolean=True)
    def processed(self, obj):
        return obj.processed_at is not None

    @admin.display(description=gettext_lazy("Body"))
    def body_text(self, obj):
        return format_html("<pre>{}</pre>", bytes(obj.body).decode("utf-8", "replace"))

    def changelist_view(self, request, extra_context=None):
        # Unverified requests are never stored; their counts are all there is to see.
        extra_context = {**(extra_context or {}), "refused_today": refusals_today()}
        return super().changelist_view(request, extra_context)

    @admin.action(description=gettext_lazy("Replay (process again)"), permissions=["replay"])
    def replay(self, request, queryset):
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            delivery_process(delivery_id=pk)
            done += 1
        messages.success(
            request,
            ngettext(
                "Processed %(count)d delivery again.", "Processed %(count)d deliveries again.", done
            )
            % {"count": done},
        )

    def has_replay_permission(self, request):
        return request.user.has_perm("activity.replay_delivery")

    def has_delete_permission(self, request, obj=None):
        # Retention keeps a delivery never processed (its usage is not counted): one that
        # never will be (about another entity, say) is removed here, by its own permission.
        return request.user.has_perm("activity.delete_delivery")


@admin.register(UsageEvent)
class UsageAdmin(ReadOnlyModelAdmin):
    """The usage report stands in for the list of counted documents."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("activity.view_usage_report")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        # The report replaces Django's changelist, and with it the view-permission check
        # that changelist would have made: make it here, before anything is read.
        if not self.has_view_permission(request):
            raise PermissionDenied
        return usage_report_view(self, request)
