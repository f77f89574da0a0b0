"""White-label branding: the partner's name, logo, colour and support address in every page."""

from django.conf import settings


def brand(request) -> dict:
    return {
        "brand": {
            "name": settings.PORTAL_BRAND_NAME,
            "logo_url": settings.PORTAL_BRAND_LOGO_URL,
            "color": settings.PORTAL_BRAND_COLOR,
            "support_email": settings.PORTAL_SUPPORT_EMAIL,
        }
    }
