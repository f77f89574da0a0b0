"""The customer list: state at a glance (only problems flagged), filters staff act from."""

from django.contrib import admin
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy, ngettext

from tenants.models import DetailsState, EntityApiKey, Membership, ProvisioningState, SyncState

from .drift import DriftFilter


class MembersFilter(admin.SimpleListFilter):
    """Customers with members still invited, or whose sync failed; select all, then
    "Sync members" re-syncs them in bulk."""

    title = gettext_lazy("members")
    parameter_name = "members"

    def lookups(self, request, model_admin):
        return [
            ("invited", gettext_lazy("Some still invited")),
            ("failed", gettext_lazy("Some failed to sync")),
        ]

    def queryset(self, request, queryset):
        state = {"invited": SyncState.INVITED, "failed": SyncState.FAILED}.get(self.value())
        if state is None:
            return queryset
        return queryset.filter(
            Exists(Membership.objects.filter(customer=OuterRef("pk"), sync_state=state))
        )


class LifecycleFilter(admin.SimpleListFilter):
    """Current customers by default; offboarding and archived ones on request."""

    title = gettext_lazy("lifecycle")
    parameter_name = "lifecycle"

    def lookups(self, request, model_admin):
        return [
            ("offboarding", gettext_lazy("Offboarding unfinished")),
            ("archived", gettext_lazy("Archived")),
            ("all", gettext_lazy("All")),
        ]

    def choices(self, changelist):
        # "Current" replaces the usual "All" as the unfiltered default (the one choice whose
        # link carries no lifecycle; its label is Django's, in the page's language).
        for choice in super().choices(changelist):
            if "lifecycle" not in choice["query_string"]:
                choice["display"] = gettext("Current")
            yield choice

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value == "archived":
            return queryset.filter(offboarded_at__isnull=False)
        if value == "offboarding":
            return queryset.filter(offboarding_started_at__isnull=False, offboarded_at__isnull=True)
        return queryset.filter(offboarded_at__isnull=True)


def _problems(customer) -> list[str]:
    """What needs a person's attention; a healthy customer has none."""
    problems = []
    if customer.offboarded_at:
        return [gettext("Archived")]
    if customer.offboarding_started_at:
        problems.append(gettext("Offboarding unfinished"))
    if customer.provisioning_state == ProvisioningState.FAILED:
        problems.append(gettext("Provisioning failed"))
    elif customer.provisioning_state == ProvisioningState.PENDING:
        problems.append(gettext("Not provisioned yet"))
    if customer.disable_unconfirmed_since:
        problems.append(gettext("Disabled here only: not confirmed at Space Invoices"))
    elif not customer.is_active:
        problems.append(gettext("Disabled"))
    if customer.key_rejected_at:
        problems.append(gettext("Key refused"))
    if customer.details_state == DetailsState.FAILED:
        problems.append(gettext("Details update failed"))
    elif customer.details_state == DetailsState.PENDING:
        problems.append(gettext("Details not sent"))
    if customer._failed_members:
        problems.append(
            ngettext(
                "%(count)d member failed to sync",
                "%(count)d members failed to sync",
                customer._failed_members,
            )
            % {"count": customer._failed_members}
        )
    return problems


class CustomerList:
    """Mixed into CustomerAdmin: columns that fit 1280 px, one query for the page."""

    list_display = ["name", "status", "access_mode", "entity_id", "key_hint", "member_count"]
    list_filter = [
        LifecycleFilter,
        "provisioning_state",
        MembersFilter,
        DriftFilter,
        "details_state",
        "access_mode",
        "is_active",
        "environment",
    ]

    def get_queryset(self, request):
        # One query for the page, whatever its size: hint and counts come as subqueries.
        active_key = EntityApiKey.objects.filter(customer=OuterRef("pk"), revoked_at__isnull=True)

        def members(**condition):
            counted = (
                Membership.objects.filter(customer=OuterRef("pk"), **condition)
                .order_by()
                .values("customer")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

        return (
            super()
            .get_queryset(request)
            .annotate(
                _key_hint=Subquery(active_key.values("prefix_hint")[:1]),
                _member_count=members(),
                _failed_members=members(sync_state=SyncState.FAILED),
            )
        )

    @admin.display(description=gettext_lazy("Status"))
    def status(self, obj):
        problems = _problems(obj)
        if not problems:
            return mark_safe('<span class="status-ok">OK</span>')
        return format_html_join(
            " ", '<span class="status-problem">{}</span>', ((p,) for p in problems)
        )

    @admin.display(description=gettext_lazy("Active key"), ordering="_key_hint")
    def key_hint(self, obj):
        return obj._key_hint or "—"

    @admin.display(description=gettext_lazy("Members"), ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count
