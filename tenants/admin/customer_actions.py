"""The customer admin's actions on Space Invoices, each behind its own permission."""

from django.contrib import admin

from tenants.models import AccessMode
from tenants.services import (
    customer_access_mode_set,
    customer_details_update,
    customer_disable,
    customer_enable,
    customer_offboard,
    customer_provision,
    entity_key_rotate,
    members_sync,
)

from .confirmation import confirm_then


class CustomerActions:
    """Mixed into CustomerAdmin: list actions with a confirmation step and a permission."""

    actions = [
        "provision",
        "update_details",
        "rotate_key",
        "sync_members",
        "disable",
        "enable",
        "switch_to_api_key",
        "switch_to_user",
        "offboard",
    ]

    @admin.action(description="Provision at Space Invoices", permissions=["provision"])
    def provision(self, request, queryset):
        def run(customer):
            result = customer_provision(customer=customer, actor=request.user)
            return None if result.is_provisioned else f"failed: {result.last_error}"

        return confirm_then(
            self,
            request,
            queryset,
            verb="Provision",
            run=run,
            explanation="Creates each entity, its API key and (user mode) its "
            "users. Safe to run again on a failed customer.",
        )

    @admin.action(description="Send details to Space Invoices", permissions=["update_details"])
    def update_details(self, request, queryset):
        def run(customer):
            customer_details_update(customer=customer, actor=request.user)

        return confirm_then(
            self,
            request,
            queryset.filter(entity_id__isnull=False),
            verb="Send details",
            run=run,
            explanation="Updates each provisioned entity at Space Invoices with the name, "
            "address, city, post code, tax number and tax status stored here.",
        )

    @admin.action(description="Rotate entity API key", permissions=["rotate"])
    def rotate_key(self, request, queryset):
        def run(customer):
            warnings = entity_key_rotate(customer=customer, actor=request.user)
            return "; ".join(warnings) or None

        return confirm_then(
            self,
            request,
            queryset,
            verb="Rotate key",
            run=run,
            explanation="Creates a new key, swaps it in, and deletes the old "
            "one at Space Invoices. Launches keep working throughout.",
        )

    @admin.action(description="Sync members with Space Invoices", permissions=["sync"])
    def sync_members(self, request, queryset):
        def run(customer):
            report = members_sync(customer=customer, actor=request.user)
            return "; ".join(report.errors) or None

        return confirm_then(
            self,
            request,
            queryset,
            verb="Sync members",
            run=run,
            explanation="Adds, re-roles and removes the entity's users to match the memberships.",
        )

    @admin.action(description="Disable (blocks Open invoicing)", permissions=["disable"])
    def disable(self, request, queryset):
        return self._switch(
            request,
            queryset,
            customer_disable,
            "Disable",
            "Disables each entity at Space Invoices: its keys and tokens stop "
            "working and nobody can open invoicing.",
        )

    @admin.action(description="Enable", permissions=["disable"])
    def enable(self, request, queryset):
        return self._switch(
            request,
            queryset,
            customer_enable,
            "Enable",
            "Re-enables each entity at Space Invoices.",
        )

    @admin.action(description="Switch to entity-API-key access", permissions=["access_mode"])
    def switch_to_api_key(self, request, queryset):
        return self._access_mode(
            request,
            queryset,
            AccessMode.API_KEY,
            "Removes every user of each entity at Space Invoices (they can no longer sign in "
            "there). Members keep their portal login and open invoicing with the customer's "
            "key, as an administrator of the entity; members below the key-mode minimum role "
            "can no longer open it.",
        )

    @admin.action(description="Switch to user-based access", permissions=["access_mode"])
    def switch_to_user(self, request, queryset):
        return self._access_mode(
            request,
            queryset,
            AccessMode.USER,
            "Adds every active member as a Space Invoices user of the entity, with their role "
            "(no email from Space Invoices). Launches then use each member's own user.",
        )

    def _access_mode(self, request, queryset, mode: str, explanation: str):
        def run(customer):
            report = customer_access_mode_set(customer=customer, mode=mode, actor=request.user)
            if report and report.errors:
                return "switched here, but Space Invoices is not in step yet: " + "; ".join(
                    report.errors
                )
            return None

        label = AccessMode(mode).label
        return confirm_then(
            self,
            request,
            queryset.exclude(access_mode=mode),
            verb=f"Switch to {label.lower()} access",
            run=run,
            explanation=explanation,
        )

    @admin.action(description="Offboard (ends the customer)", permissions=["offboard"])
    def offboard(self, request, queryset):
        def run(customer):
            report = customer_offboard(customer=customer, actor=request.user)
            return "; ".join(report.left_upstream) or None

        return confirm_then(
            self,
            request,
            queryset.filter(offboarded_at__isnull=True),
            verb="Offboard",
            run=run,
            explanation="In this order: removes the entity's users and deletes its API keys "
            "at Space Invoices, disables the entity, then ends every membership here (a person "
            "loses their portal login unless another customer still has them). The customer "
            "stays as an archived record with its audit. This cannot be undone; if Space "
            "Invoices fails on the way, run it again to finish.",
        )

    def _switch(self, request, queryset, service, verb: str, explanation: str):
        def run(customer):
            service(customer=customer, actor=request.user)

        return confirm_then(self, request, queryset, verb=verb, run=run, explanation=explanation)

    def has_provision_permission(self, request):
        return request.user.has_perm("tenants.provision_customer")

    def has_sync_permission(self, request):
        return request.user.has_perm("tenants.sync_members")

    def has_disable_permission(self, request):
        return request.user.has_perm("tenants.disable_customer")

    def has_update_details_permission(self, request):
        return request.user.has_perm("tenants.update_entity_details")

    def has_access_mode_permission(self, request):
        return request.user.has_perm("tenants.change_access_mode")

    def has_offboard_permission(self, request):
        return request.user.has_perm("tenants.offboard_customer")

    def has_rotate_permission(self, request):
        return request.user.has_perm("tenants.rotate_entityapikey")
