"""Granting access is a superuser's act alone, and every grant is in the staff audit."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tenants.models import StaffAction, User
from tests.fixtures_portal import staff_group, staff_groups_ensure

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    """Operations staff: may change users (customers' people), not grant access."""
    staff_groups_ensure()  # a transactional test before this one flushed them
    user = User.objects.create_user(email="op@partner.example", is_staff=True)
    user.groups.add(staff_group("Operations"))
    return user


def user_form(user, **changes) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    return {**data, **changes}


def test_staff_cannot_make_anyone_superuser_or_grant_permissions(client, operator):
    customer_user = User.objects.create_user(email="c@customer.example")
    client.force_login(operator)
    url = reverse("admin:tenants_user_change", args=[customer_user.pk])
    form = client.get(url).content.decode()
    assert 'name="is_superuser"' not in form and 'name="groups"' not in form
    rotate = Permission.objects.get(codename="rotate_entityapikey")
    ops = staff_group("Operations")
    client.post(
        url,
        user_form(
            customer_user,
            first_name="Cy",
            is_staff="on",
            is_superuser="on",
            groups=[ops.pk],
            user_permissions=[rotate.pk],
        ),
    )
    customer_user.refresh_from_db()
    assert customer_user.first_name == "Cy"  # the ordinary change went through
    assert not customer_user.is_staff and not customer_user.is_superuser
    assert not customer_user.groups.exists() and not customer_user.user_permissions.exists()
    assert not StaffAction.objects.filter(action="change_staff_access").exists()


def test_staff_cannot_change_another_staff_account_nor_any_group(client, operator, staff):
    client.force_login(operator)
    own = reverse("admin:tenants_user_change", args=[operator.pk])
    response = client.post(own, user_form(operator, is_superuser="on"))
    assert response.status_code == 403
    assert not User.objects.get(pk=operator.pk).is_superuser
    ops = staff_group("Operations")
    before = set(ops.permissions.values_list("pk", flat=True))
    group_url = reverse("admin:auth_group_change", args=[ops.pk])
    everything = list(Permission.objects.values_list("pk", flat=True))
    assert client.post(group_url, {"name": ops.name, "permissions": everything}).status_code == 403
    assert set(ops.permissions.values_list("pk", flat=True)) == before


def test_a_superusers_grants_are_audited(client, staff, operator):
    client.force_login(staff)
    custodian = staff_group("Key custodian")
    client.post(
        reverse("admin:tenants_user_change", args=[operator.pk]),
        user_form(operator, is_staff="on", is_superuser="on", groups=[custodian.pk]),
    )
    audit = StaffAction.objects.get(action="change_staff_access")
    assert audit.actor == staff
    assert "is_superuser: False → True" in audit.detail
    assert "groups +Key custodian -Operations" in audit.detail
    support = staff_group("Support")
    rotate = Permission.objects.get(codename="rotate_entityapikey")
    kept = list(support.permissions.values_list("pk", flat=True))
    client.post(
        reverse("admin:auth_group_change", args=[support.pk]),
        {"name": "Support", "permissions": [*kept, rotate.pk]},
    )
    latest = StaffAction.objects.filter(action="change_staff_access").first()
    assert latest.detail == "group Support: permissions +tenants.rotate_entityapikey"


def test_deactivating_a_staff_account_is_a_superusers_act(client, operator, staff):
    operator.user_permissions.add(Permission.objects.get(codename="activate_user"))
    client.force_login(User.objects.get(pk=operator.pk))
    page = client.post(
        reverse("admin:tenants_user_changelist"),
        {"action": "deactivate", "_selected_action": [staff.pk]},
        follow=True,
    )
    assert b"Only a superuser may activate or deactivate staff accounts" in page.content
    assert User.objects.get(pk=staff.pk).is_active


@pytest.mark.django_db(transaction=True)  # the deactivation runs once committed
def test_the_change_form_deactivates_only_with_the_activate_permission(
    client, make_customer, make_member, simulator
):
    """Changing a user (a name) is not deactivating them upstream: unticking Active needs
    the list actions' own permission too."""
    from tenants.services import customer_provision

    customer = make_customer(name="Form Ltd")
    member = make_member(customer, "bo@form.example", "editor").user
    customer_provision(customer=customer, actor="t")
    clerk = User.objects.create_user(email="clerk@partner.example", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client.force_login(clerk)
    url = reverse("admin:tenants_user_change", args=[member.pk])
    assert 'name="is_active"' not in client.get(url).content.decode()
    before = simulator.stats()["requests"]
    form = user_form(member, first_name="Bo")
    del form["is_active"]  # unticked
    client.post(url, form)
    member.refresh_from_db()
    assert member.first_name == "Bo" and member.is_active
    assert simulator.stats()["requests"] == before  # nothing removed upstream
    assert not StaffAction.objects.filter(action="deactivate_user").exists()

    clerk.user_permissions.add(Permission.objects.get(codename="activate_user"))
    client.force_login(User.objects.get(pk=clerk.pk))
    assert 'name="is_active"' in client.get(url).content.decode()
    client.post(url, form)
    assert not User.objects.get(pk=member.pk).is_active
    assert StaffAction.objects.filter(action="deactivate_user", detail=member.email).exists()


def test_staff_cannot_set_a_customers_password_or_email(client, operator):
    member = User.objects.create_user(email="ana@customer.example", password="pw-ana-12345")
    client.force_login(operator)
    password = reverse("admin:auth_user_password_change", args=[member.pk])
    response = client.post(password, {"password1": "Taken-over-123", "password2": "Taken-over-123"})
    assert response.status_code == 403
    assert User.objects.get(pk=member.pk).check_password("pw-ana-12345")
    client.post(
        reverse("admin:tenants_user_change", args=[member.pk]),
        user_form(member, email="mallory@evil.example"),
    )
    assert User.objects.get(pk=member.pk).email == "ana@customer.example"
