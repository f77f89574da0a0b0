"""The customer admin's actions on Space Invoices, each behind its own permission."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.models import AccessMode

from .confirmation import confirm_then
from .customer_runs import RUNS

# Each confirmation button in full: "Yes, " and the verb lower-cased would write German
# nouns wrong ("schlüssel rotieren"), so each is its own phrase to translate.
CONFIRM = {
    "provision": pgettext_lazy("confirmation button", "Yes, provision"),
    "update_details": pgettext_lazy("confirmation button", "Yes, send details"),
    "rotate_key": pgettext_lazy("confirmation button", "Yes, rotate key"),
    "sync_members": pgettext_lazy("confirmation button", "Yes, sync members"),
    "disable": pgettext_lazy("confirmation button", "Yes, disable"),
    "enable": pgettext_lazy("confirmation button", "Yes, enable"),
    "switch_to_api_key": pgettext_lazy(
        "confirmation button", "Yes, switch to entity-API-key access"
    ),
    "switch_to_user": pgettext_lazy("confirmation button", "Yes, switch to user-based access"),
    "check_drift": pgettext_lazy("confirmation button", "Yes, check drift"),
    "reconcile": pgettext_lazy("confirmation button", "Yes, reconcile"),
    "register_webhook": pgettext_lazy("confirmation button", "Yes, register webhook endpoint"),
    "rotate_webhook": pgettext_lazy("confirmation button", "Yes, rotate webhook secret"),
    "offboard": pgettext_lazy("confirmation button", "Yes, offboard"),
}


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
            confirm=CONFIRM[name],
            explanation=explanation,
            run=lambda customer: RUNS[name](customer, request.user),
            name=name,
        )

    @admin.action(description=_("Provision at Space Invoices"), permissions=["provision"])
    def provision(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "provision",
            _("Provision"),
            _(
                "Creates each entity, its API key and (user mode) its users. Safe to run again "
                "on a failed customer."
            ),
        )

    @admin.action(description=_("Send details to Space Invoices"), permissions=["update_details"])
    def update_details(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False),
            "update_details",
            _("Send details"),
            _(
                "Updates each provisioned entity at Space Invoices with the name, address, "
                "city, post code, tax number, tax status and language stored here."
            ),
        )

    @admin.action(description=_("Rotate entity API key"), permissions=["rotate"])
    def rotate_key(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "rotate_key",
            _("Rotate key"),
            _(
                "Creates a new key, swaps it in, and deletes the old one at Space Invoices. "
                "Launches keep working throughout."
            ),
        )

    @admin.action(description=_("Sync members with Space Invoices"), permissions=["sync"])
    def sync_members(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "sync_members",
            _("Sync members"),
            _("Adds, re-roles and removes the entity's users to match the memberships."),
        )

    @admin.action(description=_("Disable (blocks Open invoicing)"), permissions=["disable"])
    def disable(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "disable",
            _("Disable"),
            _(
                "Disables each entity at Space Invoices: its keys and tokens stop working and "
                "nobody can open invoicing."
            ),
        )

    @admin.action(description=_("Enable"), permissions=["disable"])
    def enable(self, request, queryset):
        return self._confirm(
            request,
            queryset,
            "enable",
            _("Enable"),
            _("Re-enables each entity at Space Invoices."),
        )

    @admin.action(description=_("Switch to entity-API-key access"), permissions=["access_mode"])
    def switch_to_api_key(self, request, queryset):
        return self._confirm(
            request,
            queryset.exclude(access_mode=AccessMode.API_KEY),
            "switch_to_api_key",
            _("Switch to entity-API-key access"),
            _(
                "Removes every user of each entity at Space Invoices (they can no longer sign "
                "in there). Members keep their portal login and open invoicing with the "
                "customer's key, as an administrator of the entity; members below the key-mode "
                "minimum role can no longer open it."
            ),
        )

    @admin.action(description=_("Switch to user-based access"), permissions=["access_mode"])
    def switch_to_user(self, request, queryset):
        return self._confirm(
            request,
            queryset.exclude(access_mode=AccessMode.USER),
            "switch_to_user",
            _("Switch to user-based access"),
            _(
                "Adds every active member as a Space Invoices user of the entity, with their "
                "role (no email from Space Invoices). Launches then use each member's own user."
            ),
        )

    @admin.action(description=_("Check drift from Space Invoices"), permissions=["reconcile"])
    def check_drift(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "check_drift",
            _("Check drift"),
            _(
                "Compares each customer with its entity at Space Invoices (reads only): enabled "
                "or not, details, whether the key works, users and roles. The differences show "
                "on each customer's page and under Drift findings."
            ),
        )

    @admin.action(description=_("Reconcile with Space Invoices"), permissions=["reconcile"])
    def reconcile(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "reconcile",
            _("Reconcile"),
            _(
                "Checks each customer, then brings Space Invoices back in line with the "
                "portal: sends the details, enables or disables the entity as it is here, "
                "rotates a key Space Invoices refuses, and adds, re-roles or removes users "
                "(users added in Space Invoices' own dashboard are removed). A missing entity "
                "or a key this portal cannot read is only reported."
            ),
        )

    @admin.action(description=_("Register webhook endpoint"), permissions=["register_webhook"])
    def register_webhook(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "register_webhook",
            _("Register webhook endpoint"),
            _(
                "Registers at Space Invoices, for each entity that has none yet, the endpoint "
                "that reports its invoices, payments and other documents to this portal "
                "(activity and usage count from then on). Customers provisioned from now on "
                "get one anyway."
            ),
        )

    @admin.action(description=_("Rotate webhook secret"), permissions=["rotate_webhook"])
    def rotate_webhook(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(entity_id__isnull=False, offboarding_started_at__isnull=True),
            "rotate_webhook",
            _("Rotate webhook secret"),
            _(
                "Registers a new endpoint with a new signing secret, then deletes the old one "
                "at Space Invoices. Deliveries signed with either secret are accepted "
                "meanwhile, so no event is lost."
            ),
        )

    @admin.action(description=_("Offboard (ends the customer)"), permissions=["offboard"])
    def offboard(self, request, queryset):
        return self._confirm(
            request,
            queryset.filter(offboarded_at__isnull=True),
            "offboard",
            _("Offboard"),
            _(
                "In this order: removes the entity's users and deletes its API keys at Space "
                "Invoices, disables the entity, then ends every membership here (a person "
                "loses their portal login unless another customer still has them). The "
                "customer stays as an archived record with its audit. This cannot be undone; "
                "if Space Invoices fails on the way, run it again to finish."
            ),
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
