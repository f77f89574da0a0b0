"""Two-factor sign-in for partner staff: TOTP with recovery codes (django-otp).

Staff who signed in with their password reach /admin/ only once this session is verified
with a code from their authenticator app (or a one-time recovery code). A staff user
without a device enrols first: scan the QR code, confirm one code, keep the recovery codes.
"""

import math
from base64 import b32encode
from functools import lru_cache

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10


def device_admins_remove(site) -> None:
    """django-otp's own admin pages show each staff member's TOTP secret and QR code, and
    let one add a device for another: removed. A lost device is reset by a command."""
    for model in (TOTPDevice, StaticDevice):
        if site.is_registered(model):
            site.unregister(model)


ENROLLING = "enrolling"  # the name of a device not yet confirmed by a first code


@lru_cache(maxsize=8)
def _admin_paths(urlconf) -> tuple[str, tuple[str, str]]:
    """The admin's prefix, and its sign-in and sign-out pages, as paths inside the site
    (what ``request.path_info`` holds): reversed once per URLconf, not on every request.
    Without the script prefix: that is the request's own (SCRIPT_NAME), and the first
    request's must never decide which paths later ones guard."""

    def inside(name: str) -> str:
        return "/" + reverse(name, urlconf).removeprefix(get_script_prefix())

    return inside("admin:index"), (inside("admin:login"), inside("admin:logout"))


class StaffSecondFactorMiddleware:
    """Sends a staff user whose session has no second factor to the verify page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PORTAL_STAFF_2FA_REQUIRED and self._needs_second_factor(request):
            return redirect(f"{reverse('second_factor')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request) -> bool:
        admin, open_doors = _admin_paths(get_urlconf() or settings.ROOT_URLCONF)
        path = request.path_info
        if not path.startswith(admin) or path in open_doors:
            return False
        user = request.user
        return user.is_authenticated and user.is_staff and not user.is_verified()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self):
        # As shown, or as typed from it: spaces and dashes dropped, and a recovery code
        # (shown in lower case) taken in any case; an app's code is digits alone.
        code = "".join(self.cleaned_data["code"].split()).replace("-", "")
        return code if code.isdigit() else code.lower()


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if allowed and target.startswith("/") else reverse("admin:index")


@never_cache
@login_required
def second_factor(request):
    """Verify this session with a code; a staff user without a device enrols first."""
    if not request.user.is_staff:
        return HttpResponseForbidden(gettext("Only partner staff use a second factor here."))
    if not user_has_device(request.user, confirmed=True):
        return _enrol(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        # Tried only on the kind of device it can belong to: an app's code (digits) on the
        # app, a recovery code (eight letters and digits) on the recovery codes. Each slows
        # down after wrong codes (1 s, 2 s, 4 s, …); tried on both, a mistyped app code
        # also held the recovery codes back, the very way in when the app is not at hand.
        kind = TOTPDevice if code.isdigit() and len(code) < 8 else StaticDevice
        devices = list(kind.objects.devices_for_user(request.user))
        # Before trying: a right code sent too soon fails for that reason alone.
        wait = max(map(_wait_seconds, devices), default=0)
        device = next((d for d in devices if d.verify_token(code)), None)
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error(
            "code",
            _too_soon(wait)
            if wait
            else gettext("That code is not valid (or was used already). Try the next one."),
        )
    return render(
        request, "registration/second_factor.html", {"form": form, "next": _next(request)}
    )


def _enrol(request):
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": ENROLLING}
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = _wait_seconds(device)
        if not wait and device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.name = "authenticator"
            device.save(update_fields=["confirmed", "name"])
            codes = _recovery_codes_issue(request.user)
            otp_login(request, device)
            # Shown once, on this answer only: never stored in a readable form again.
            return render(
                request,
                "registration/second_factor_recovery.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error(
            "code",
            _too_soon(wait)
            if wait
            else gettext("That code does not match. Check the time on your phone."),
        )
    context = {
        "form": form,
        "next": _next(request),
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4),
        "secret": _base32(device),
    }
    return render(request, "registration/second_factor_enrol.html", context)


def _wait_seconds(device: TOTPDevice | StaticDevice) -> int:
    """Seconds before ``device`` takes a code again after wrong ones (0: it takes one now)."""
    allowed, why = device.verify_is_allowed()
    if allowed or not why or "locked_until" not in why:
        return 0
    return max(1, math.ceil((why["locked_until"] - timezone.now()).total_seconds()))


def _too_soon(wait: int) -> str:
    return ngettext(
        "A wrong code makes the next try wait: wait %(seconds)d second, then enter the code again.",
        "A wrong code makes the next try wait: wait %(seconds)d seconds, then enter the code "
        "again.",
        wait,
    ) % {"seconds": wait}


def _base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def _recovery_codes_issue(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def second_factor_devices_remove(*, user) -> int:
    """Remove every second-factor device of ``user`` (a lost phone); they enrol again at
    their next sign-in. Returns how many were removed."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    return removed + StaticDevice.objects.filter(user=user).delete()[0]
