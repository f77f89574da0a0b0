"""Membership admin: role changes and removals go through the services (bulk delete too)."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tenants.errors import TenantError
from tenants.models import Membership
from tenants.services import (
    invitation_resend,
    members_sync_if_live,
    membership_add,
    membership_remove,
    membership_role_set,
)

from .after_commit import after_commit
from .confirmation import confirm_then


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "customer", "role", "sync_state", "si_user_id"]
    list_filter = ["role", "sync_state"]
    search_fields = ["user__email", "customer__name", "customer__slug"]
    list_select_related = ["user", "customer"]
    autocomplete_fields = ["user", "customer"]
    actions = ["resend_invitation"]
    readonly_fields = [
        "si_user_id",
        "invitation_id",
        "sync_state",
        # What Space Invoices last confirmed: the sync writes it, never a form.
        "applied_role",
        "last_error",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["user", "customer"] if obj else []
        return [*fixed, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        # Saved by the services; Space Invoices follows once the admin's transaction has
        # committed.
        if change:

            def role_set() -> None:
                # As stored (the form changed only this copy): the audit says from what to what.
                member = membership_role_set(
                    membership=Membership.objects.get(pk=obj.pk), role=obj.role, actor=request.user
                )
                self._pending_warn(request, member)

            after_commit(self, request, role_set)
            return
        try:
            added = membership_add(
                customer=obj.customer,
                email=obj.user.email,
                role=obj.role,
                actor=request.user,
                sync=False,
            )
        except TenantError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = added.pk

        def sync() -> None:
            try:
                members_sync_if_live(customer=added.customer)
            finally:  # an outage is also reported by after_commit, as an error
                self._pending_warn(request, Membership.objects.get(pk=added.pk))

        after_commit(self, request, sync)

    def log_addition(self, request, obj, message):
        if obj.pk is not None:  # refused by the service: nothing was added to log
            super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:  # refused: its reason is on the page; the add form again, no "added"
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def _pending_warn(self, request, member: Membership) -> None:
        """Never let a change look done while Space Invoices has not applied it."""
        if member.is_applied or not member.customer.entity_id:
            return
        why = f" ({member.last_error})" if member.last_error else ""
        # Not opening with the member: the admin capitalises a message's first letter,
        # which would misspell an email address.
        self.message_user(
            request,
            gettext(
                "Saved here for %(member)s, not confirmed by Space Invoices%(why)s; the next "
                "sync applies it."
            )
            % {"member": member, "why": why},
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        after_commit(self, request, lambda: self.delete_queryset(request, [obj]))

    def delete_queryset(self, request, queryset):
        # membership_remove reports an outage by returning False, never by raising.
        removed, pending = [], []
        for membership in queryset:
            done = membership_remove(membership=membership, actor=request.user)
            (removed if done else pending).append(str(membership))
        for member in pending:
            self.message_user(
                request,
                gettext("%(member)s: removal pending at Space Invoices; the next sync finishes it.")
                % {"member": member},
                messages.WARNING,
            )
        if removed:
            self.message_user(
                request,
                gettext("Removed here and in Space Invoices: %(members)s.")
                % {"members": ", ".join(removed)},
                messages.SUCCESS,
            )
        # The bulk action's own "Successfully deleted N" would count pending ones as done.
        request.generic_success_muted = bool(pending)

    def response_delete(self, request, obj_display, obj_id):
        # Django says "deleted successfully" before the removal runs (after commit); the
        # removal then says itself whether it was done or is pending.
        request.generic_success_muted = True
        try:
            return super().response_delete(request, obj_display, obj_id)
        finally:
            request.generic_success_muted = False

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if level == messages.SUCCESS and getattr(request, "generic_success_muted", False):
            return
        super().message_user(request, message, level, *args, **kwargs)

    @admin.action(
        description=_("Resend the Space Invoices invitation email"), permissions=["resend"]
    )
    def resend_invitation(self, request, queryset):
        def run(membership):
            invitation_resend(membership=membership, actor=request.user)

        return confirm_then(
            self,
            request,
            queryset.select_related("user", "customer"),
            verb=_("Resend invitation"),
            confirm=pgettext_lazy("confirmation button", "Yes, resend invitation"),
            run=run,
            explanation=_(
                "Warning: Space Invoices sends this email itself, in Space Invoices' branding, "
                "not yours; it asks the member to accept an invitation to the invoicing "
                "dashboard. Only members still invited get one."
            ),
        )

    def has_resend_permission(self, request):
        return request.user.has_perm("tenants.resend_invitation")
