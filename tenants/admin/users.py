"""User admin with email as the login; deactivation syncs every customer the user is in."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, gettext_lazy, ngettext

from tenants.models import User
from tenants.services import user_active_set

from .after_commit import after_commit
from .staff_access import SUPERUSER_ONLY_FIELDS, AuditedAccessAdmin


@admin.register(User)
class UserAdmin(AuditedAccessAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (gettext_lazy("Personal info"), {"fields": ["first_name", "last_name"]}),
        (
            gettext_lazy("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (gettext_lazy("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["deactivate", "activate"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += SUPERUSER_ONLY_FIELDS  # granting access is a superuser's act alone
            if obj is not None:
                # A changed email is a password reset sent elsewhere: an account takeover.
                fields.append("email")
        if obj is not None and not self.has_activate_permission(request):
            # Unticking it deactivates the user everywhere in Space Invoices: the list
            # actions' own permission, not merely the right to change a name.
            fields.append("is_active")
        return fields

    def user_change_password(self, request, id, form_url=""):
        # Setting someone's password is signing in as them: customers set their own by the
        # reset email; only a superuser sets one here.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def has_change_permission(self, request, obj=None):
        # A staff account's password or email is a way into everything it may do: only a
        # superuser changes staff accounts (everyone changes their own password elsewhere).
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        toggled = change and "is_active" in form.changed_data
        if toggled and not self.has_activate_permission(request):
            raise PermissionDenied  # the field is read-only without it; never saved
        active = obj.is_active
        if toggled:
            obj.is_active = not active  # the service flips it and syncs upstream
        super().save_model(request, obj, form, change)
        if toggled:
            after_commit(
                self, request, lambda: user_active_set(user=obj, active=active, actor=request.user)
            )

    @admin.action(
        description=gettext_lazy("Deactivate (removes them from Space Invoices)"),
        permissions=["activate"],
    )
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=gettext_lazy("Activate"), permissions=["activate"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    def _set_active(self, request, queryset, active: bool) -> None:
        done = 0
        if not request.user.is_superuser:
            staff = queryset.filter(is_staff=True)
            if staff.exists():
                self.message_user(
                    request,
                    gettext(
                        "Only a superuser may activate or deactivate staff accounts: "
                        "%(users)s left as they were."
                    )
                    % {"users": ", ".join(map(str, staff))},
                    messages.ERROR,
                )
                queryset = queryset.filter(is_staff=False)
        for user in queryset:
            reports = user_active_set(user=user, active=active, actor=request.user)
            errors = [f"{r.customer}: {e}" for r in reports for e in r.errors]
            if errors:
                self.message_user(
                    request,
                    (
                        gettext(
                            "%(user)s: activated here, but not yet everywhere in Space "
                            "Invoices (%(errors)s); the next sync finishes it."
                        )
                        if active
                        else gettext(
                            "%(user)s: deactivated here, but not yet everywhere in Space "
                            "Invoices (%(errors)s); the next sync finishes it."
                        )
                    )
                    % {"user": user, "errors": "; ".join(errors)},
                    messages.WARNING,
                )
            else:
                done += 1
        if done:
            if active:
                done_text = ngettext(
                    "Activated %(count)d user.", "Activated %(count)d users.", done
                )
            else:
                done_text = ngettext(
                    "Deactivated %(count)d user.", "Deactivated %(count)d users.", done
                )
            self.message_user(request, done_text % {"count": done}, messages.SUCCESS)

    def has_activate_permission(self, request):
        return request.user.has_perm("tenants.activate_user")
