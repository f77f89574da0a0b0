"""The customer admin's actions on Space Invoices, each behind its own permission."""

from django.contrib import admin

from tenants.services import (
    customer_details_update,
    customer_disable,
    customer_enable,
    customer_provision,
    entity_key_rotate,
    members_sync,
)

from .confirmation import confirm_then


class CustomerActions:
    """Mixed into CustomerAdmin: list actions with a confirmation step and a permission."""

    actions = ["provision", "update_details", "rotate_key", "sync_members", "disable", "enable"]

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

    def has_rotate_permission(self, request):
        return request.user.has_perm("tenants.rotate_entityapikey")
