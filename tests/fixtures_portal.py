"""Shared fixtures for customers and members (used by several test packages)."""

import itertools

import pytest

from tenants.models import AccessMode, Customer, Membership, User

_numbers = itertools.count(1)
PASSWORD = "pw-member-123"


@pytest.fixture
def staff(db):
    return User.objects.create_superuser(email="staff@partner.example", password="pw-staff-123")


@pytest.fixture
def make_customer(db):
    def make(**fields) -> Customer:
        n = next(_numbers)
        defaults = {
            "name": f"Customer {n}",
            "slug": f"customer-{n}",
            "country": "Slovenia",
            "city": "Ljubljana",
            "access_mode": AccessMode.USER,
        }
        return Customer.objects.create(**(defaults | fields))

    return make


@pytest.fixture
def make_member(db):
    def make(customer: Customer, email: str, role: str = "viewer", **user_fields) -> Membership:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=PASSWORD, **user_fields
        )
        return Membership.objects.create(user=user, customer=customer, role=role)

    return make


def upstream_users(simulator, account_key, entity_id) -> dict[str, str]:
    """email → role, as the simulator holds them (read raw, not through our client)."""
    response = simulator.api(
        "GET", "/entities/users", account_key, headers={"x-entity-id": entity_id}
    )
    return {u["email"]: u["role"] for u in response.json()["data"]}


@pytest.fixture
def acme(make_customer, make_member, simulator):
    """User mode: ana (admin), bo (viewer); provisioned in the simulator."""
    from tenants.services import customer_provision

    customer = make_customer(name="Acme d.o.o.", slug="acme")
    make_member(customer, "ana@acme.example", "admin")
    make_member(customer, "bo@acme.example", "viewer")
    return customer_provision(customer=customer, actor="test")


@pytest.fixture
def globex(make_customer, make_member, simulator):
    """API-key mode: cy (editor), dee (viewer, below the default key-mode floor)."""
    from tenants.services import customer_provision

    customer = make_customer(name="Globex GmbH", slug="globex", access_mode="api_key")
    make_member(customer, "cy@globex.example", "editor")
    make_member(customer, "dee@globex.example", "viewer")
    return customer_provision(customer=customer, actor="test")


@pytest.fixture
def login_as(client):
    """``login_as(email)``: the test client, logged in as that user."""

    def login(email: str):
        client.force_login(User.objects.get(email=email))
        return client

    return login


def entity_made_elsewhere(simulator, account_key, name: str = "Made elsewhere") -> tuple[str, str]:
    """(entity id, entity key) created straight at Space Invoices, not by the portal."""
    entity = simulator.api(
        "POST", "/entities", account_key, json={"name": name, "country": "Italy"}
    ).json()
    key = simulator.api(
        "POST", "/entities/api-keys", account_key, headers={"x-entity-id": entity["id"]}, json={}
    ).json()["id"]
    return entity["id"], key


def user_invited_upstream(simulator, account_key, entity_id: str, email: str) -> None:
    """A viewer invited by Space Invoices itself (send_invite: true), still pending."""
    simulator.api(
        "POST",
        "/entities/users",
        account_key,
        headers={"x-entity-id": entity_id},
        json={"email": email, "role": "viewer", "send_invite": True},
    )


def change_form_data(customer: Customer, **extra) -> dict:
    """The admin's customer change form as it would be posted unchanged, plus ``extra``."""
    data = {
        "name": customer.name,
        "slug": customer.slug,
        "country": customer.country,
        "access_mode": customer.access_mode,
        "address": customer.address,
        "city": customer.city,
        "post_code": customer.post_code,
        "tax_number": customer.tax_number,
        "locale": customer.locale,
        "new_member_role": "viewer",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "api_keys-TOTAL_FORMS": "0",
        "api_keys-INITIAL_FORMS": "0",
    }
    if customer.is_tax_subject:
        data["is_tax_subject"] = "on"
    return data | extra


def staff_groups_ensure() -> None:
    """The staff groups as the data migration makes them. A transactional test's flush
    empties every table, groups included; this puts them back from the migration's own
    table of groups, so that tests check what deployments get."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission

    later = [
        import_module(f"{module}").ADDED
        for module in ("tenants.migrations.0014_reconcile_for_operations",
                       "tenants.migrations.0016_webhook_permissions",
                       "jobs.migrations.0002_staff_groups",
                       "activity.migrations.0002_staff_groups")
    ]  # fmt: skip
    for name, codes in import_module("tenants.migrations.0011_staff_groups").GROUPS.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(
                Permission.objects.get(content_type__app_label=code.split(".")[0],
                                       codename=code.split(".")[1])
                for code in [*codes, *(c for added in later for c in added.get(name, []))]
            )  # fmt: skip


def staff_group(name: str):
    """A staff group as the migrations make it, whatever an earlier test flushed."""
    from django.contrib.auth.models import Group

    staff_groups_ensure()
    return Group.objects.get(name=name)


def post_unsent(client, path: str):
    """POST ``path`` with ``client``'s cookies through the whole middleware stack, and
    return the response as the server holds it before sending: not yet closed. (The test
    client, like a WSGI server, closes every response once it is read.)"""
    from django.core.handlers.base import BaseHandler
    from django.test import RequestFactory

    request = RequestFactory().post(path)
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    request._dont_enforce_csrf_checks = True  # as the test client's own requests
    handler = BaseHandler()
    handler.load_middleware()
    return handler.get_response(request)
