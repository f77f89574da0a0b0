"""The client's IP address, trusting X-Forwarded-For only as far as configured proxies go."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with PORTAL_TRUSTED_PROXY_COUNT = N, the N-th address from the right
    of X-Forwarded-For: the one our outermost trusted proxy saw. Anything further left was
    written by the client and is not believed."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.PORTAL_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < trusted:
        return remote  # fewer hops than proxies we trust: the header is not ours
    return forwarded[-trusted]
