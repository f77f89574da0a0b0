"""The drift report in the admin: findings per customer (on its page) and as a list."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext, gettext_lazy

from tenants.models import DriftFinding


class DriftFilter(admin.SimpleListFilter):
    """Customers that differ from Space Invoices, as the last check found them; select
    them, then "Reconcile" brings Space Invoices back in line."""

    title = gettext_lazy("drift")
    parameter_name = "drift"

    def lookups(self, request, model_admin):
        return [
            ("differs", gettext_lazy("Differs from Space Invoices")),
            ("unchecked", gettext_lazy("Never checked")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "differs":
            return queryset.filter(Exists(DriftFinding.objects.filter(customer=OuterRef("pk"))))
        if self.value() == "unchecked":
            return queryset.filter(entity_id__isnull=False, drift_checked_at__isnull=True)
        return queryset


class DriftShown:
    """Mixed into CustomerAdmin: the last check's findings, read-only, on the customer page
    (a field, not an inline, so that saving the page never carries a formset for them)."""

    @admin.display(description=gettext_lazy("Drift from Space Invoices"))
    def drift_report(self, customer) -> str:
        if customer.drift_checked_at is None:
            return gettext("Never checked (Check drift compares it with Space Invoices).")
        found = list(customer.drift_findings.all())
        if not found:
            return gettext("In line with Space Invoices at %(moment)s.") % {
                "moment": date_format(localtime(customer.drift_checked_at), "DATETIME_FORMAT")
            }
        rows = format_html_join(
            "",
            "<li>{}: {}{}</li>",
            (
                (
                    f.get_kind_display(),
                    f.detail,
                    "" if f.fixable else " " + gettext("(for staff to decide)"),
                )
                for f in found
            ),
        )
        return format_html(
            "<ul>{}</ul>Checked {} UTC; Reconcile puts right what it can.",
            rows,
            f"{customer.drift_checked_at:%Y-%m-%d %H:%M}",
        )


@admin.register(DriftFinding)
class DriftFindingAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "detail", "fixable", "found_at"]
    list_filter = ["kind", "fixable"]
    search_fields = ["customer__name", "customer__slug"]
    list_select_related = ["customer"]

    def has_add_permission(self, request):
        return False  # made by the check only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
