"""The Open invoicing view: thin; the rules live in embedding.services."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_resolver, reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from embedding.services import LaunchRefused, launch_token_create
from portal.client_ip import client_ip


def _refusal_page(request, refusal: LaunchRefused, slug: str):
    """A branded page that says why, with the refusal's status (and Retry-After)."""
    response = render(
        request, "embedding/refused.html", {"refusal": refusal, "slug": slug}, status=refusal.status
    )
    if refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _not_found(request):
    """The site's own 404 page, as for any unknown address: returned, not raised, so that
    it too is never cached (a raised Http404 is answered outside this view's wrapper)."""
    resolver = get_resolver(getattr(request, "urlconf", None))
    return resolver.resolve_error_handler(404)(request, Http404())


def _no_store(view):
    """Nothing this view answers may be cached, and the redirect that carries a token sends
    no referrer. A page (a refusal) keeps same-origin: its Try again form posts back here,
    and under no-referrer Chromium sends ``Origin: null``, which CSRF rightly refuses."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        redirect = response.has_header("Location")
        response["Referrer-Policy"] = "no-referrer" if redirect else "same-origin"
        return response

    return wrapped


@_no_store
@sensitive_variables("launch")
@sensitive_post_parameters()
def open_invoicing(request, slug: str):
    if request.method != "POST":
        # A GET mints nothing: links, prefetchers and crawlers must never launch.
        response = render(request, "embedding/use_button.html", {"slug": slug}, status=405)
        response["Allow"] = "POST"
        return response
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("customer", args=[slug]))
    try:
        launch = launch_token_create(user=request.user, slug=slug, client_ip=client_ip(request))
    except LaunchRefused as refusal:
        request.log_fields.update(launch_outcome=refusal.outcome, customer=slug)
        if refusal.status == 404:
            return _not_found(request)
        return _refusal_page(request, refusal, slug)
    request.log_fields.update(launch_outcome="launched", customer=slug, mode=launch.mode)
    return _LaunchRedirect(launch.url, after_sent=launch.finish_audit)


class _LaunchRedirect(HttpResponseRedirect):
    """See Other (the browser follows with a GET); once the server is done with it and
    closes the response, ``after_sent`` runs (the launch's audit outcome: its row is
    durable already, so the browser need not wait for this write)."""

    status_code = 303

    def __init__(self, url: str, *, after_sent) -> None:
        super().__init__(url)
        self._after_sent = after_sent

    def close(self) -> None:
        try:
            self._after_sent()
        finally:
            super().close()
