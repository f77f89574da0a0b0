"""On a launch, the session, its user and their membership of the customer: one round trip."""

from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject

from embedding.views import open_invoicing
from tenants.authentication import user_get_with_membership


class LaunchUserMiddleware:
    """Right after AuthenticationMiddleware: on a POST to Open invoicing, ``request.user``
    is read (when first used, as Django's own) together with the user's membership of that
    customer, so the launch looks nothing more up. Every other request keeps Django's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        slug = _launch_slug(request)
        if slug is not None:
            # Read with the session itself, where the session store can (tenants.sessions):
            # one round trip for the session, the user and the membership.
            request.session.membership_wanted = slug
            request.user = SimpleLazyObject(lambda: _user(request, slug))
        return self.get_response(request)


def _user(request, slug: str):
    # Kept on the request under the name Django's own lazy user uses, so whatever reads it
    # later (a login or logout in this request replaces it) sees the same user.
    if not hasattr(request, "_cached_user"):
        request._cached_user = user_get_with_membership(request, slug=slug)
    return request._cached_user


def _launch_slug(request) -> str | None:
    """The customer's slug when this is a launch, else None. Only a POST launches, so other
    requests cost no URL resolution here."""
    if request.method != "POST":
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.kwargs.get("slug") if match.func is open_invoicing else None
