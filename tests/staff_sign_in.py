"""Signing staff in as a person would: password session, then a real TOTP code.

The suite runs with PORTAL_STAFF_2FA_REQUIRED on (DEBUG is off), so every admin page
needs a session verified through the second-factor page. ``StaffClient.force_login`` does
that for staff users with a code computed from their device, exactly as an app would.
"""

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice) -> str:
    """The code the staff member's authenticator app shows right now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def second_factor_pass(client: Client, user) -> None:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    # A code is accepted once (replay protection); a test signing in twice within one
    # 30-second step would otherwise be refused the second time.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    response = client.post(reverse("second_factor"), {"code": totp_code(device)})
    assert response.status_code == 302, "the second-factor page refused a valid code"


class StaffClient(Client):
    """The test client; for a staff user, force_login also passes the second factor."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if user.is_staff:
            second_factor_pass(self, user)
