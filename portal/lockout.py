"""The login lockout: its idea of an account (the email, case-folded, so ANA@ and ana@ count
once) and its page."""

from django.conf import settings
from django.shortcuts import render


def lockout_username(request, credentials) -> str | None:
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else None


def lockout_response(request, original_response=None, credentials=None):
    """The branded lockout page (429), saying how long the pause lasts."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response
