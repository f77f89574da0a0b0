"""The login lockout: its idea of an account (the email, case-folded, so ANA@ and ana@ count
once) and its page."""

import math

from axes.models import AccessAttempt
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from portal.client_ip import client_ip


def lockout_username(request, credentials) -> str | None:
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else None


def lockout_response(request, original_response=None, credentials=None):
    """The branded lockout page (429), saying how long the pause still lasts: it runs from
    the last failure before the lockout (trying during it does not move it)."""
    cooloff = settings.AXES_COOLOFF_TIME
    last = (
        AccessAttempt.objects.filter(
            username=lockout_username(request, credentials), ip_address=client_ip(request)
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    remaining = cooloff - (timezone.now() - last) if last else cooloff
    seconds = max(60, min(int(remaining.total_seconds()), int(cooloff.total_seconds())))
    minutes = math.ceil(seconds / 60)
    response = render(
        request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


def expired_attempts_cleanup_mended(site) -> None:
    """django-axes' admin action "Clean up expired attempts" reads the time its middleware
    sets on sign-in requests only (``request.axes_attempt_time``): from the admin it was a
    500. Its admin is given that time first."""
    if not site.is_registered(AccessAttempt):
        return
    kind = type(site.get_model_admin(AccessAttempt))
    original = kind.cleanup_expired_attempts

    class Mended(kind):
        def cleanup_expired_attempts(self, request, queryset):
            request.axes_attempt_time = timezone.now()
            return original(self, request, queryset)

        cleanup_expired_attempts.short_description = original.short_description

    Mended.__name__ = Mended.__qualname__ = kind.__name__
    site.unregister(AccessAttempt)
    site.register(AccessAttempt, Mended)
