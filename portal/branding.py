"""White-label branding: the partner's name, logo, colour and support address in every page."""

from django.conf import settings
from django.http import HttpResponse
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
