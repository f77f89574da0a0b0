"""An admin action whose selection holds anything but row ids is a 400, and does nothing."""

import pytest
from django.urls import reverse

from tenants.models import Customer, StaffAction
from tenants.services import customer_provision

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("admin_url", "action"),
    [
        ("admin:tenants_customer_changelist", "disable"),
        ("admin:tenants_membership_changelist", "resend_invitation"),
        ("admin:tenants_user_changelist", "deactivate"),
        ("admin:activity_delivery_changelist", "replay"),  # a read-only admin's action
        ("admin:axes_accessattempt_changelist", "delete_selected"),  # django-axes' own
    ],
)
@pytest.mark.parametrize("selected", ["\x00", "1 OR 1=1", "x", "\u0661", " 1 ", "1e3"])
def test_a_selection_that_is_no_row_id_is_refused_before_any_action(
    client, staff, make_customer, simulator, admin_url, action, selected
):
    customer = customer_provision(customer=make_customer(), actor="t")
    client.force_login(staff)
    calls, actions = simulator.stats()["requests"], StaffAction.objects.count()
    response = client.post(
        reverse(admin_url),
        {"action": action, "confirmed": "yes", "_selected_action": [str(customer.pk), selected]},
    )
    assert response.status_code == 400
    assert response.templates[0].name == "400.html"
    assert Customer.objects.get(pk=customer.pk).is_active  # nothing disabled
    assert StaffAction.objects.count() == actions
    assert simulator.stats()["requests"] == calls  # nothing asked of Space Invoices


def test_clean_up_expired_sign_in_attempts_from_the_admin(client, staff, settings):
    """django-axes' own action, which answered 500 from the admin (portal.lockout)."""
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    def attempt(username: str) -> AccessAttempt:
        return AccessAttempt.objects.create(
            username=username,
            ip_address="203.0.113.7",
            user_agent="browser",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/accounts/login/",
            failures_since_start=1,
        )

    client.force_login(staff)  # (a sign-in cleans up expired attempts itself)
    expired, recent = attempt("old@acme.example"), attempt("new@acme.example")
    AccessAttempt.objects.filter(pk=expired.pk).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [str(recent.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Cleaned up 1 expired access attempts." in [str(m) for m in response.context["messages"]]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["new@acme.example"]
