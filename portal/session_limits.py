"""Sessions end after a spell without requests and a while after sign-in, sooner for staff."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils.translation import gettext as _

STARTED = "portal_signed_in_at"
SEEN = "portal_seen_at"
# The idle clock is written at most this often: a launch or a page view within the same
# minute costs no session write.
SEEN_RESOLUTION = 60


def session_limits(user) -> tuple[int, int]:
    """(idle seconds, absolute seconds) for this user."""
    if user.is_staff:
        return (
            settings.PORTAL_STAFF_SESSION_IDLE_MINUTES * 60,
            settings.PORTAL_STAFF_SESSION_MAX_HOURS * 3600,
        )
    return settings.PORTAL_SESSION_IDLE_MINUTES * 60, settings.PORTAL_SESSION_MAX_HOURS * 3600


@receiver(user_logged_in)
def _session_clock_start(sender, request, user, **kwargs):
    now = int(time.time())
    request.session[STARTED] = now
    request.session[SEEN] = now


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        session = request.session
        started, seen = session.get(STARTED), session.get(SEEN)
        if started is None or seen is None:  # a session from before these limits existed
            session[STARTED] = session[SEEN] = now
            return self.get_response(request)
        idle, absolute = session_limits(user)
        if now - seen > idle or now - started > absolute:
            if now - seen > idle:
                why = _("You were signed out after a while without activity. Please log in.")
            else:
                why = _("You were signed out after a while since you signed in. Please log in.")
            logout(request)
            messages.info(request, why)
            return redirect_to_login(request.get_full_path() if request.method == "GET" else "/")
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN] = now
        return self.get_response(request)
