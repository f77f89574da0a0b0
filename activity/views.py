"""The webhook receiver (answers fast; processing is queued), and the overdue-alert toggle."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.client_ip import client_ip
from tenants.membership_access import admin_membership_get

from .alerts import overdue_alert_set
from .inbox import delivery_receive, refuse

logger = logging.getLogger(__name__)


@csrf_exempt  # signed by Space Invoices instead: no browser, no session, no cookie
def webhook_receive(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    cap = settings.PORTAL_WEBHOOK_MAX_BODY
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = cap + 1
    ip = client_ip(request)
    if declared > cap:
        return _answer(refuse(reason="too_large", client_ip=ip, status=413))
    body = request.read(cap + 1)  # a body sent without a length is capped too
    if len(body) > cap:
        return _answer(refuse(reason="too_large", client_ip=ip, status=413))
    return _answer(delivery_receive(body=body, headers=request.headers, client_ip=ip))


def _answer(receipt) -> HttpResponse:
    return JsonResponse({"outcome": receipt.outcome}, status=receipt.status)


@login_required
@require_POST
def overdue_alert_toggle(request, slug: str):
    """A company admin opts in or out of overdue emails for that company."""
    membership = admin_membership_get(
        request.user,
        slug,
        refusal=gettext_lazy("Only an admin of this company chooses its overdue emails."),
    )
    enabled = request.POST.get("enabled") == "on"
    overdue_alert_set(customer=membership.customer, user=request.user, enabled=enabled)
    messages.success(
        request,
        gettext("You will be emailed when an invoice becomes overdue.")
        if enabled
        else gettext("You will no longer be emailed about overdue invoices."),
    )
    return redirect("customer", slug=slug)
