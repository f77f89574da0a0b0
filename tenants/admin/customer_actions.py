"""The customer admin's actions on Space Invoices, each behind its own permission."""

from django.contrib import admin

from tenants.models import AccessMode

from .confirmation import confirm_then
from .customer_runs import RUNS


class CustomerActions:
    """Mixed into CustomerAdmin: list actions with a confirmation step and a permission.
    What each does for one customer is in ``customer_runs``."""

    actions = [
        "provision",
        "update_details",
        "rotate_key",
        "sync_members",
        "disable",
        "enable",
        "switch_to_api_key",
        "switch_to_user",
        "check_drift",
        "reconcile",
        "register_webhook",
        "rotate_webhook",
        "offboard",
    ]

    def _confirm(self, request, queryset, name: str, verb: str, explanation: str):
        return confirm_then(
            self,
            request,
            queryset,
            verb=verb,
            explanation=explanation,
            run=lambda customer: RUNS[name](customer, request.user),
            name=name,
        )

    @admin.action(description="Provision at Space Invoices", permissions=["provision"])
    def provision(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "provision",
            "Provision",
            "Creates each entity, its API key and (user mode) its users. Safe to run again "
            "on a failed customer.",
        )

    @admin.action(description="Send details to Space Invoices", permissions=["update_details"])
    def update_details(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False),
            "update_details",
            "Send details",
            "Updates each provisioned entity at Space Invoices with the name, address, city, "
            "post code, tax number and tax status stored here.",
        )

    @admin.action(description="Rotate entity API key", permissions=["rotate"])
    def rotate_key(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "rotate_key",
            "Rotate key",
            "Creates a new key, swaps it in, and deletes the old one at Space Invoices. "
            "Launches keep working throughout.",
        )

    @admin.action(description="Sync members with Space Invoices", permissions=["sync"])
    def sync_members(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "sync_members",
            "Sync members",
            "Adds, re-roles and removes the entity's users to match the memberships.",
        )

    @admin.action(description="Disable (blocks Open invoicing)", permissions=["disable"])
    def disable(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "disable",
            "Disable",
            "Disables each entity at Space Invoices: its keys and tokens stop working and "
            "nobody can open invoicing.",
        )

    @admin.action(description="Enable", permissions=["disable"])
    def enable(self, request, queryset):
        return self._confirm(
            request, queryset, "enable", "Enable", "Re-enables each entity at Space Invoices."
        )

    @admin.action(description="Switch to entity-API-key access", permissions=["access_mode"])
    def switch_to_api_key(self, request, queryset):
        return self._confirm(
            request,
            queryset.exclude(access_mode=AccessMode.API_KEY),
            "switch_to_api_key",
            f"Switch to {AccessMode.API_KEY.label.lower()} access",
            "Removes every user of each entity at Space Invoices (they can no longer sign in "
            "there). Members keep their portal login and open invoicing with the customer's "
            "key, as an administrator of the entity; members below the key-mode minimum role "
            "can no longer open it.",
        )

    @admin.action(description="Switch to user-based access", permissions=["access_mode"])
    def switch_to_user(self, request, queryset):
        return self._confirm(
            request,
            queryset.exclude(access_mode=AccessMode.USER),
            "switch_to_user",
            f"Switch to {AccessMode.USER.label.lower()} access",
            "Adds every active member as a Space Invoices user of the entity, with their role "
            "(no email from Space Invoices). Launches then use each member's own user.",
        )

    @admin.action(description="Check drift from Space Invoices", permissions=["reconcile"])
    def check_drift(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "check_drift",
            "Check drift",
            "Compares each customer with its entity at Space Invoices (reads only): enabled or "
            "not, details, whether the key works, users and roles. The differences show on "
            "each customer's page and under Drift findings.",
        )

    @admin.action(description="Reconcile with Space Invoices", permissions=["reconcile"])
    def reconcile(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "reconcile",
            "Reconcile",
            "Checks each customer, then brings Space Invoices back in line with the portal: "
            "sends the details, enables or disables the entity as it is here, rotates a key "
            "Space Invoices refuses, and adds, re-roles or removes users (users added in Space "
            "Invoices' own dashboard are removed). A missing entity or a key this portal "
            "cannot read is only reported.",
        )

    @admin.action(description="Register webhook endpoint", permissions=["register_webhook"])
    def register_webhook(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "register_webhook",
            "Register webhook endpoint",
            "Registers at Space Invoices, for each entity that has none yet, the endpoint that "
            "reports its invoices, payments and other documents to this portal (activity and "
            "usage count from then on). Customers provisioned from now on get one anyway.",
        )

    @admin.action(description="Rotate webhook secret", permissions=["rotate_webhook"])
    def rotate_webhook(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "rotate_webhook",
            "Rotate webhook secret",
            "Registers a new endpoint with a new signing secret, then deletes the old one at "
            "Space Invoices. Deliveries signed with either secret are accepted meanwhile, so "
            "no event is lost.",
        )

    @admin.action(description="Offboard (ends the customer)", permissions=["offboard"])
    def offboard(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(offboarded_at__isnull=True),
            "offboard",
            "Offboard",
            "In this order: removes the entity's users and deletes its API keys at Space "
            "Invoices, disables the entity, then ends every membership here (a person loses "
            "their portal login unless another customer still has them). The customer stays "
            "as an archived record with its audit. This cannot be undone; if Space Invoices "
            "fails on the way, run it again to finish.",
        )

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

    def has_reconcile_permission(self, request):
        return request.user.has_perm("tenants.reconcile_customer")

    def has_offboard_permission(self, request):
        return request.user.has_perm("tenants.offboard_customer")

    def has_rotate_permission(self, request):
        return request.user.has_perm("tenants.rotate_entityapikey")

    def has_register_webhook_permission(self, request):
        return request.user.has_perm("tenants.register_webhookendpoint")

    def has_rotate_webhook_permission(self, request):
        return request.user.has_perm("tenants.rotate_webhookendpoint")
