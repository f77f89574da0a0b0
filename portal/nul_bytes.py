"""A NUL byte in a request's query string is a 400: no database stores one in text, and
PostgreSQL refuses the query outright (a filter in the admin answered 500)."""

from django.core.exceptions import SuspiciousOperation


class NulByteInQuery(SuspiciousOperation):
    """Logged on ``django.security.NulByteInQuery``, answered with the 400 page."""


class NulBytesRefusedMiddleware:
    """Before any view reads the query (placed after authentication, so that the page
    knows who is signed in and speaks their language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        # Percent-encoded, as a browser sends it; or raw, as a hand-made client may.
        if "%00" in query or "\x00" in query:
            raise NulByteInQuery("a NUL byte in the query string")
        return self.get_response(request)
