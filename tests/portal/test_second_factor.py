"""Staff reach /admin/ only with a second factor: enrolment, codes, recovery, reset."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.models import StaffAction, User
from tests.staff_sign_in import totp_code

pytestmark = pytest.mark.django_db
ADMIN = reverse("admin:index")
SECOND = reverse("second_factor")


@pytest.fixture
def plain(staff):
    """Signed in with a password only (no second factor yet)."""
    client = Client()
    client.force_login(staff)
    return client


def test_a_password_alone_does_not_open_the_admin(plain):
    response = plain.get(reverse("admin:tenants_customer_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(SECOND + "?next=/admin/tenants/customer/")


@pytest.mark.parametrize("later", ["", "/portal"])
def test_the_first_requests_script_prefix_never_decides_what_is_guarded(plain, later):
    """Behind a proxy that mounts the site under a prefix (SCRIPT_NAME), the admin stays
    guarded whatever prefix the process's first request came with."""
    from portal.second_factor import _admin_paths

    _admin_paths.cache_clear()  # as in a new worker process
    assert Client().get("/healthz", SCRIPT_NAME="/x").status_code == 200
    page = plain.get(reverse("admin:tenants_customer_changelist"), SCRIPT_NAME=later)
    assert page.status_code == 302 and f"{SECOND}?next={later}/admin/tenants/" in page["Location"]


def test_without_a_second_factor_staff_can_still_sign_out_of_the_admin(plain):
    # The admin's sign-in and sign-out pages are the two it never guards.
    assert plain.get(reverse("admin:login")).status_code == 302  # signed in: to the index
    out = plain.post(reverse("admin:logout"))
    assert out.status_code == 302 and not out["Location"].startswith(SECOND)
    assert "_auth_user_id" not in plain.session


def test_enrolment_then_recovery_codes_then_the_admin(plain, staff):
    page = plain.get(SECOND).content.decode()
    assert "Set up a second factor" in page and "<svg" in page
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    wrong = plain.post(SECOND, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert b"That code does not match" in wrong.content
    assert plain.get(ADMIN).status_code == 302  # still not in
    device.throttle_reset()  # a wrong code slows the next tries down (1 s, then 2 s, …)
    done = plain.post(SECOND, {"code": totp_code(device), "next": "/admin/tenants/"})
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == 10 and 'href="/admin/tenants/"' in done.content.decode()
    assert plain.get(ADMIN).status_code == 200
    # Another session: a recovery code works once.
    other = Client()
    other.force_login(staff)
    assert b"Confirm it is you" in other.get(SECOND).content
    assert other.post(SECOND, {"code": codes[0]}).status_code == 302
    assert other.get(ADMIN).status_code == 200
    third = Client()
    third.force_login(staff)
    assert b"not valid" in third.post(SECOND, {"code": codes[0]}).content
    assert third.get(ADMIN).status_code == 302


def _wrong(device: TOTPDevice) -> str:
    return "000000" if totp_code(device) != "000000" else "111111"


def _time_passes(device: TOTPDevice, seconds: int) -> None:
    """As if ``seconds`` had passed since the last wrong code."""
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(seconds=seconds)
    device.save(update_fields=["throttling_failure_timestamp"])


def test_a_right_code_sent_too_soon_after_a_wrong_one_says_to_wait(plain, staff):
    """While enrolling: the slow-down after a wrong code is said as such, never as a code
    that does not match (which sent staff to check their phone's clock)."""
    plain.get(SECOND)
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert b"That code does not match" in plain.post(SECOND, {"code": _wrong(device)}).content
    soon = plain.post(SECOND, {"code": totp_code(device)}).content.decode()
    assert "A wrong code makes the next try wait: wait 1 second, then enter the code" in soon
    assert "does not match" not in soon and plain.get(ADMIN).status_code == 302
    _time_passes(device, 2)
    done = plain.post(SECOND, {"code": totp_code(device)})
    assert done.status_code == 200 and plain.get(ADMIN).status_code == 200


def test_signing_in_too_soon_after_wrong_codes_says_how_long_to_wait(plain, staff):
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    for _ in range(3):  # 1 s, 2 s, then 4 s to wait
        plain.post(SECOND, {"code": _wrong(device)})
        _time_passes(device, 60)
    assert b"not valid" in plain.post(SECOND, {"code": _wrong(device)}).content
    soon = plain.post(SECOND, {"code": totp_code(device)}).content.decode()
    assert re.search(r"next try wait: wait [1-8] seconds?, then enter the code again", soon)
    assert plain.get(ADMIN).status_code == 302
    _time_passes(device, 60)
    assert plain.post(SECOND, {"code": totp_code(device)}).status_code == 302
    assert plain.get(ADMIN).status_code == 200


def test_a_mistyped_app_code_never_holds_the_recovery_codes_back(plain, staff):
    """The recovery codes are the way in when the app is not at hand: wrong app codes
    (here, from earlier sessions too) never make them wait."""
    from portal.second_factor import _recovery_codes_issue

    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    codes = _recovery_codes_issue(staff)
    for _ in range(4):
        assert b"not valid" in plain.post(SECOND, {"code": _wrong(device)}).content
        _time_passes(device, 60)
    plain.post(SECOND, {"code": _wrong(device)})  # and one just now
    # As typed from the page: in capitals, with a dash between its halves.
    typed = f"{codes[0][:4]}-{codes[0][4:]}".upper()
    assert plain.post(SECOND, {"code": typed}).status_code == 302
    assert plain.get(ADMIN).status_code == 200


def test_next_never_leaves_the_site(plain, staff):
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    response = plain.post(SECOND, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == ADMIN


def test_reset_removes_the_devices_audited_and_prints_no_secret(plain, staff):
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    out = StringIO()
    call_command("reset_second_factor", staff.email, stdout=out)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert device.key not in out.getvalue()
    assert StaffAction.objects.get(action="reset_second_factor").detail.startswith(staff.email)
    assert b"Set up a second factor" in plain.get(SECOND).content  # enrols again


def test_not_required_lets_a_password_session_in(plain, settings):
    settings.PORTAL_STAFF_2FA_REQUIRED = False
    assert plain.get(ADMIN).status_code == 200


def test_customers_never_see_the_page(db):
    member = User.objects.create_user(email="m@x.example", password="pw-member-123")
    client = Client()
    client.force_login(member)
    assert client.get(SECOND).status_code == 403


def test_no_admin_page_shows_a_staff_members_totp_secret(client, staff):
    client.force_login(staff)
    device = TOTPDevice.objects.get(user=staff)
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 404
    assert device.key not in client.get(ADMIN).content.decode()
