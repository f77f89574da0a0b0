"""The client's IP address, trusting X-Forwarded-For only as far as configured proxies go."""

from ipaddress import ip_address

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with PORTAL_TRUSTED_PROXY_COUNT = N, the N-th address from the right
    of X-Forwarded-For: the one our outermost trusted proxy saw. Anything further left was
    written by the client and is not believed; nor is what stands there when it is not an
    address (``unknown``, say): then REMOTE_ADDR, the proxy's own."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.PORTAL_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < trusted:
        return remote  # fewer hops than proxies we trust: the header is not ours
    return _address(forwarded[-trusted]) or remote


def _address(text: str) -> str | None:
    """``text`` as an address the database stores (an ``inet``), without the port or zone
    some proxies add (``203.0.113.7:51234``, ``[2001:db8::7]:443``, ``fe80::7%eth0``), an
    IPv4 address mapped into IPv6 as itself (one client, one lockout and rate key); None
    when it is not an address. An IPv6 address with a port needs its brackets: without
    them the port cannot be told from the address."""
    if text.startswith("["):
        text, bracket, _ = text[1:].partition("]")
        if not bracket:
            return None
    elif text.count(":") == 1:  # IPv4 with a port (an IPv6 address has two or more)
        text = text.partition(":")[0]
    try:
        address = ip_address(text.partition("%")[0])
    except ValueError:
        return None
    return str(getattr(address, "ipv4_mapped", None) or address)
