"""A key row no configured encryption key reads never breaks the admin, and leaves by a key
custodian's audited action."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse

from tenants.models import EntityApiKey, StaffAction, User
from tests.fixtures_portal import change_form_data, entity_made_elsewhere, staff_group

pytestmark = pytest.mark.django_db
KEYS = reverse("admin:tenants_entityapikey_changelist")


def make_unreadable(row: EntityApiKey) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"ek_sandbox_lost").decode(), row.pk],
        )


@pytest.fixture
def custodian(db):
    user = User.objects.create_user(email="keys@partner.example", is_staff=True)
    user.groups.add(staff_group("Key custodian"))
    return user


@pytest.mark.django_db(transaction=True)
def test_the_customer_page_shows_it_unreadable_and_saving_and_attaching_still_work(
    client, staff, make_customer, simulator, account_key
):
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(access_mode="api_key", entity_id=entity_id)
    row = EntityApiKey.objects.create(
        customer=customer, key="ek_sandbox_" + "3" * 32, prefix_hint="h"
    )
    make_unreadable(row)
    client.force_login(staff)
    url = reverse("admin:tenants_customer_change", args=[customer.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Unreadable here" in page.content
    saved = client.post(url, change_form_data(customer, city="Koper"))
    assert saved.status_code == 302
    attach = reverse("admin:tenants_customer_attach_key", args=[customer.pk])
    attached = client.post(attach, {"key": key})
    assert attached.status_code == 302 and key.encode() not in attached.content
    assert EntityApiKey.objects.active().get(customer=customer).key == key


def test_a_key_custodian_removes_only_unreadable_rows_audited(
    client, custodian, make_customer, simulator
):
    customer = make_customer()
    lost = EntityApiKey.objects.create(
        customer=customer,
        key="ek_sandbox_" + "4" * 32,
        prefix_hint="lost",
        revoked_at="2026-01-01T00:00Z",
    )
    good = EntityApiKey.objects.create(
        customer=customer, key="ek_sandbox_" + "5" * 32, prefix_hint="good"
    )
    make_unreadable(lost)
    client.force_login(custodian)
    listed = client.get(KEYS).content.decode()
    assert "Unreadable here" in listed and "Active" in listed
    data = {"action": "remove_unreadable", "_selected_action": [lost.pk, good.pk]}
    confirmation = client.post(KEYS, data).content.decode()
    assert "may still work there" in confirmation
    client.post(KEYS, {**data, "confirmed": "yes"})
    assert list(EntityApiKey.objects.values_list("prefix_hint", flat=True)) == ["good"]
    audit = StaffAction.objects.get(action="remove_key_row")
    assert audit.actor == custodian and "may remain at Space Invoices" in audit.detail


def test_support_cannot_remove_key_rows(client, make_customer):
    support = User.objects.create_user(email="s@partner.example", is_staff=True)
    support.groups.add(staff_group("Support"))
    row = EntityApiKey.objects.create(
        customer=make_customer(), key="ek_sandbox_" + "6" * 32, prefix_hint="x"
    )
    make_unreadable(row)
    client.force_login(support)
    client.post(
        KEYS, {"action": "remove_unreadable", "confirmed": "yes", "_selected_action": [row.pk]}
    )
    assert EntityApiKey.objects.filter(pk=row.pk).exists()
