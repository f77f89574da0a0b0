"""The branded 500 page: rendered with the brand, even when everything else has failed."""

from django.http import HttpResponseServerError
from django.template import loader

from .branding import brand


def server_error(request):
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render(brand(request)))


def bad_request(request, exception):
    """The branded 400 (Django's own renders without the request, so without the brand);
    the exception's text, which may quote the request, is never shown."""
    from django.shortcuts import render

    return render(request, "400.html", status=400)


def csrf_failure(request, reason=""):
    """The branded 403 for a missing or wrong CSRF token (the reason is never shown)."""
    from django.shortcuts import render

    return render(request, "403_csrf.html", status=403)
