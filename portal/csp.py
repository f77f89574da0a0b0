"""The Content-Security-Policy, built from the two outside origins the portal uses."""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware


def _origin(url: str) -> list[str]:
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def content_security_policy(*, embed_url: str, logo_url: str) -> dict:
    """No inline script or style anywhere. The launch form's 303 goes to the embed origin,
    which form-action must allow: browsers apply form-action to redirects too."""
    return {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "img-src": ["'self'", "data:", *_origin(logo_url)],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "frame-ancestors": ["'none'"],
            "form-action": ["'self'", *_origin(embed_url)],
        }
    }


class PageCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, for pages only: a redirect has no document for a policy to
    govern (the browser applies the policy of the page it lands on), and django-csp built
    the policy string anew for every response, a tenth of a millisecond of each launch."""

    def process_response(self, request, response):
        if 300 <= response.status_code < 400 and response.has_header("Location"):
            return response
        return super().process_response(request, response)
