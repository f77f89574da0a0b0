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
    ],
)
@pytest.mark.parametrize("selected", ["\x00", "1 OR 1=1", "x"])
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
