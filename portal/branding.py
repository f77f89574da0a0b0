"""White-label branding: the partner's name, logo, colour and support address in every page."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.html import escape
from django.views.decorators.cache import cache_control


def brand(request) -> dict:
    return {
        "brand": {
            "name": settings.PORTAL_BRAND_NAME,
            "logo_url": settings.PORTAL_BRAND_LOGO_URL,
            "color": settings.PORTAL_BRAND_COLOR,
            "support_email": settings.PORTAL_SUPPORT_EMAIL,
        }
    }


@cache_control(max_age=3600, public=True)
def brand_css(request):
    """The brand colour as a stylesheet, so pages carry no inline style (a strict CSP holds)."""
    css = f":root {{ --brand: {settings.PORTAL_BRAND_COLOR}; }}\n"
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@cache_control(max_age=86400, public=True)
def favicon(request):
    """A square in the brand colour with the brand's initial: browsers ask for /favicon.ico
    on every page, and a 404 there fills the logs."""
    initial = escape((settings.PORTAL_BRAND_NAME.strip() or "P")[0].upper())
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<rect width="32" height="32" rx="6" fill="{settings.PORTAL_BRAND_COLOR}"/>'
        '<text x="16" y="22" font-family="sans-serif" font-size="18" font-weight="bold" '
        f'fill="#fff" text-anchor="middle">{initial}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")
