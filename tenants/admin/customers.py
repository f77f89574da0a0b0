"""Customer admin: list, detail with members and keys, and actions on Space Invoices."""

from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy

from spaceinvoices.client import SpaceInvoicesError
from tenants.models import Customer, DetailsState, EntityApiKey, Membership
from tenants.services import (
    DETAIL_FIELDS,
    customer_access_mode_set,
    customer_details_update,
    membership_add,
    membership_remove,
    membership_role_set,
)

from .after_commit import after_commit
from .customer_actions import CustomerActions
from .customer_import import CustomerImport
from .customer_list import CustomerList
from .customer_page import CustomerPageButtons
from .drift import DriftShown
from .forms import ENTITY_DETAIL_FIELDS, CustomerAdminForm
from .key_attach import KeyAttachPage
from .keys import KEY_COLUMNS, KeyStatus, with_token

ADD_A_MEMBER = gettext_lazy("Add a member")  # a fieldset some staff do not see


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "sync_state", "si_user_id", "last_error"]
    readonly_fields = ["sync_state", "si_user_id", "last_error"]


class EntityApiKeyInline(KeyStatus, admin.TabularInline):
    """Keys as hints, dates and status only; the key itself is never on a page."""

    model = EntityApiKey
    extra = 0
    fields = [*KEY_COLUMNS, "upstream_deleted_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = gettext_lazy("Entity API keys (hints only)")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Never decrypted here: a page of hints renders even when a key cannot be read.
        return with_token(super().get_queryset(request))


@admin.register(Customer)
class CustomerAdmin(
    CustomerImport,
    KeyAttachPage,
    CustomerPageButtons,
    CustomerList,
    CustomerActions,
    DriftShown,
    admin.ModelAdmin,
):
    form = CustomerAdminForm
    search_fields = ["name", "slug", "entity_id"]
    prepopulated_fields = {"slug": ["name"]}
    # Set by the services only; shown in the "Space Invoices" fieldset.
    upstream_fields = [
        "entity_id",
        "environment",
        "provisioning_state",
        "last_error",
        "provisioned_at",
        "is_active",
        "disable_unconfirmed_since",
        "key_rejected_at",
        "details_state",
        "details_error",
        "offboarding_started_at",
        "offboarded_at",
        "drift_report",
        "uuid",
        "created_at",
        "updated_at",
    ]
    readonly_fields = upstream_fields
    inlines = [MembershipInline, EntityApiKeyInline]
    list_per_page = 50

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["name", "slug", "access_mode"]}),
            (gettext_lazy("Entity details"), {"fields": ENTITY_DETAIL_FIELDS}),
            (ADD_A_MEMBER, {"fields": ["new_member_email", "new_member_role"]}),
        ]
        if obj:
            fieldsets.insert(
                1,
                ("Space Invoices", {"fields": self.upstream_fields}),
            )
        if not request.user.has_perm("tenants.add_membership"):
            fieldsets = [f for f in fieldsets if f[0] is not ADD_A_MEMBER]
        return fieldsets

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_offboarding:
            return False  # leaving or archived: read, never changed (its button finishes it)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A customer that reached Space Invoices leaves by offboarding, which keeps its
        # audit; only one that never got that far may be deleted.
        if obj is not None and obj.entity_id:
            return False
        return super().has_delete_permission(request, obj)

    def get_prepopulated_fields(self, request, obj=None):
        # Only while adding: the name may be read-only on a provisioned customer.
        return {} if obj else self.prepopulated_fields

    def get_readonly_fields(self, request, obj=None):
        fixed = list(self.readonly_fields)
        if obj and (obj.entity_id or not request.user.has_perm("tenants.change_access_mode")):
            # Switching adds or removes users upstream: a button with a confirmation does it.
            fixed.append("access_mode")
        if obj and obj.entity_id:
            fixed.append("country")  # Space Invoices never changes an entity's country
            if not request.user.has_perm("tenants.update_entity_details"):
                # Editing them would write to Space Invoices: that needs its own permission.
                fixed += [f for f in DETAIL_FIELDS if f not in fixed]
        return fixed

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        can_add_member = request.user.has_perm("tenants.add_membership")

        class BoundForm(form):
            def __init__(self, *args, **kw):
                super().__init__(
                    *args,
                    can_add_member=can_add_member,
                    **kw,
                )

        return BoundForm

    def save_model(self, request, obj, form, change):
        wanted_mode = obj.access_mode
        if change and "access_mode" in form.changed_data:
            obj.access_mode = form.initial["access_mode"]  # switched by the service below
        details_changed = bool(
            change and obj.entity_id and set(DETAIL_FIELDS) & set(form.changed_data)
        )
        if details_changed:
            # Saved here first, marked as not yet sent: a failed call leaves a visible retry.
            obj.details_state = DetailsState.PENDING
        super().save_model(request, obj, form, change)
        data = form.cleaned_data
        after_commit(self, request, lambda: self._upstream(request, obj, data, wanted_mode))
        if details_changed:
            after_commit(self, request, lambda: self._details(request, obj))

    def _upstream(self, request, obj, data, wanted_mode) -> None:
        if obj.access_mode != wanted_mode:
            customer_access_mode_set(customer=obj, mode=wanted_mode, actor=request.user)
        if data.get("new_member_email"):
            membership_add(
                customer=obj,
                email=data["new_member_email"],
                role=data.get("new_member_role") or "viewer",
                actor=request.user,
            )

    def _details(self, request, obj) -> None:
        try:
            customer_details_update(customer=obj, actor=request.user)
        except SpaceInvoicesError as exc:
            self.message_user(
                request,
                gettext(
                    "Saved here, but Space Invoices was not updated: %(error)s. Use “Send "
                    "details to Space Invoices” to try again."
                )
                % {"error": exc},
                messages.ERROR,
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Every membership change goes through the services, so Space Invoices follows.
        instances = formset.save(commit=False)
        for _membership, changed in formset.changed_objects:
            if "user" in changed:
                self.message_user(
                    request,
                    gettext(
                        "A membership's user cannot change: remove it and add the other person."
                    ),
                    messages.WARNING,
                )

        def upstream():
            for membership in formset.deleted_objects:
                membership_remove(membership=membership, actor=request.user)
            for membership, changed in formset.changed_objects:
                if "role" in changed and "user" not in changed:
                    stored = Membership.objects.get(pk=membership.pk)  # the role before
                    membership_role_set(membership=stored, role=membership.role, actor=request.user)
            for membership in formset.new_objects:
                membership_add(
                    customer=form.instance,
                    email=membership.user.email,
                    role=membership.role,
                    actor=request.user,
                )

        after_commit(self, request, upstream)
        return instances
