"""Buttons on the customer page for what staff do there, each the list action it mirrors.

A button opens the same confirmation as the list action, under the same permission (the
admin's ``get_actions`` already leaves out what the user may not do), and acts only on a
confirmed POST.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from tenants.models import AccessMode, Customer, DetailsState


def _relevant(customer: Customer) -> list[str]:
    """The page actions that make sense for ``customer`` as it stands, in button order."""
    if customer.offboarded_at:
        return []
    if customer.is_offboarding:
        return ["offboard"]  # finish what a failed run began
    upstream = bool(customer.entity_id)
    shown = {
        "provision": not customer.is_provisioned,
        "rotate_key": upstream,
        "sync_members": upstream and customer.uses_entity_users,
        "update_details": upstream and customer.details_state != DetailsState.IN_STEP,
        # Also while Space Invoices has not confirmed a disable: pressing it again finishes.
        "disable": upstream and (customer.is_active or bool(customer.disable_unconfirmed_since)),
        "enable": not customer.is_active,
        "switch_to_api_key": upstream and customer.access_mode == AccessMode.USER,
        "switch_to_user": upstream and customer.access_mode == AccessMode.API_KEY,
        "check_drift": upstream,
        "reconcile": upstream,
        "register_webhook": upstream and not customer.webhook_endpoints.active().exists(),
        "rotate_webhook": upstream,
        "offboard": True,
    }
    return [name for name, show in shown.items() if show]


class CustomerPageButtons:
    """Mixed into CustomerAdmin."""

    def get_urls(self):
        act = path(
            "<path:object_id>/act/<str:action>/",
            self.admin_site.admin_view(self.page_action_view),
            name="tenants_customer_act",
        )
        return [act, *super().get_urls()]

    def page_actions(self, request, customer: Customer) -> list[tuple[str, str]]:
        """(name, label) of each button this user may press on this customer's page."""
        allowed = self.get_actions(request)
        return [(name, allowed[name][2]) for name in _relevant(customer) if name in allowed]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, object_id)
        buttons = []
        if customer is not None:
            buttons = [
                (reverse("admin:tenants_customer_act", args=[customer.pk, name]), label)
                for name, label in self.page_actions(request, customer)
            ]
            buttons += self.page_links(request, customer)
        extra_context = {**(extra_context or {}), "page_actions": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    def page_links(self, request, customer: Customer) -> list[tuple[str, str]]:
        """(url, label) of buttons to pages of their own, after the actions: a mixin before
        this one adds its page's (the customer it gets is read once, here)."""
        return []

    def page_action_view(self, request, object_id, action):
        allowed = self.get_actions(request)
        if action not in allowed:
            # no such action, or not this user's to take; before the lookup, so a refused
            # account cannot tell which customers exist
            raise PermissionDenied
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404("No such customer.")
        page = reverse("admin:tenants_customer_change", args=[customer.pk])
        queryset = self.get_queryset(request).filter(pk=customer.pk)
        request.confirm_cancel_url = page
        response = allowed[action][0](self, request, queryset)
        return response or HttpResponseRedirect(page)
