"""The Open invoicing view: thin; the rules live in embedding.services."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from embedding.models import LaunchEvent
from embedding.ratelimit import launch_allowed
from embedding.services import (
    LaunchRefused,
    launch_event_record,
    launch_token_create,
    membership_for_launch,
)
from portal.client_ip import client_ip


def _refusal_page(request, refusal: LaunchRefused, slug: str):
    response = render(
        request, "embedding/refused.html", {"refusal": refusal, "slug": slug}, status=refusal.status
    )
    if refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _no_store(view):
    """Nothing this view answers may be cached or leak a referrer: it carries tokens."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped


@_no_store
@sensitive_variables("url")
@sensitive_post_parameters()
def open_invoicing(request, slug: str):
    if request.method != "POST":
        # A GET mints nothing: links, prefetchers and crawlers must never launch.
        response = render(request, "embedding/use_button.html", {"slug": slug}, status=405)
        response["Allow"] = "POST"
        return response
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("customer", args=[slug]))
    ip = client_ip(request)
    membership = membership_for_launch(user=request.user, slug=slug)
    if membership is None:
        launch_event_record(
            user_id=request.user.pk, slug=slug, outcome=LaunchEvent.Outcome.NOT_MEMBER, client_ip=ip
        )
        request.log_fields.update(launch_outcome=LaunchEvent.Outcome.NOT_MEMBER, customer=slug)
        raise Http404("No such customer.")  # exactly as for a customer that does not exist
    allowed, retry_after = launch_allowed(request.user.pk)
    if not allowed:
        launch_event_record(
            user_id=request.user.pk,
            slug=slug,
            membership=membership,
            outcome=LaunchEvent.Outcome.RATE_LIMITED,
            client_ip=ip,
        )
        return _refusal_page(
            request,
            LaunchRefused(
                LaunchEvent.Outcome.RATE_LIMITED,
                429,
                "Too many launches",
                "You opened invoicing many times in a short while. Please wait a moment.",
                retry_after=retry_after,
            ),
            slug,
        )
    try:
        url = launch_token_create(membership=membership, client_ip=ip)
    except LaunchRefused as refusal:
        return _refusal_page(request, refusal, slug)
    request.log_fields.update(
        launch_outcome=LaunchEvent.Outcome.LAUNCHED,
        customer=slug,
        mode=membership.customer.access_mode,
    )
    response = HttpResponseRedirect(url)
    response.status_code = 303  # See Other: the browser follows with a GET
    return response
