"""Who may grant access, and the audit of every grant: superusers only, every change recorded.

A staff account that could tick its own "superuser" box, or add a permission to a group it
is in, would hold every other permission too; so those fields and the group admin are
superusers' alone, and each change lands in the staff audit.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group

from tenants.models import StaffAction
from tenants.services import staff_action_record

# Fields that grant access: read-only to all but superusers.
SUPERUSER_ONLY_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


def access_snapshot(holder) -> dict[str, object]:
    """What ``holder`` (a user or a group) grants, as comparable values."""
    snapshot: dict[str, object] = {
        "permissions": {
            f"{p.content_type.app_label}.{p.codename}"
            for p in (holder.permissions if isinstance(holder, Group) else holder.user_permissions)
            .select_related("content_type")
            .all()
        }
    }
    if not isinstance(holder, Group):
        snapshot["groups"] = {g.name for g in holder.groups.all()}
        snapshot["is_staff"] = holder.is_staff
        snapshot["is_superuser"] = holder.is_superuser
    return snapshot


def access_changes(before: dict, after: dict) -> list[str]:
    """``['is_superuser: False → True', 'groups +Operations -Support']``."""
    changes = []
    for name, new in after.items():
        old = before.get(name, set() if isinstance(new, set) else False)
        if old == new:
            continue
        if isinstance(new, set):
            added = " ".join(f"+{x}" for x in sorted(new - old))
            removed = " ".join(f"-{x}" for x in sorted(old - new))
            changes.append(f"{name} {' '.join(filter(None, [added, removed]))}")
        else:
            changes.append(f"{name}: {old} → {new}")
    return changes


def access_change_record(*, actor, holder, before: dict) -> None:
    changes = access_changes(before, access_snapshot(holder))
    if changes:
        kind = "group" if isinstance(holder, Group) else "user"
        staff_action_record(
            actor=actor,
            action=StaffAction.Action.CHANGE_STAFF_ACCESS,
            detail=f"{kind} {holder}: " + "; ".join(changes),
        )


class AuditedAccessAdmin:
    """Mixed into the user and group admins: snapshot before the save, record after the
    many-to-many fields are saved too (they are saved after the object itself)."""

    def save_model(self, request, obj, form, change):
        # As stored (the form has already changed ``obj``); a new holder starts from
        # nothing, so its first permissions are recorded as added.
        stored = type(obj).objects.get(pk=obj.pk) if change else None
        request._access_before = access_snapshot(stored) if stored else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        access_change_record(
            actor=request.user, holder=form.instance, before=request._access_before
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAccessAdmin, DjangoGroupAdmin):
    """Groups grant permissions: only superusers may change them."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        staff_action_record(
            actor=request.user,
            action=StaffAction.Action.CHANGE_STAFF_ACCESS,
            detail=f"group {obj} deleted (its members lose its permissions)",
        )
        super().delete_model(request, obj)
