"""Every staff action, for every staff group: offered only with its permission, and when
forced by a user without it, refused with nothing written at Space Invoices or here.

Later issues add their actions to ACTIONS; the groups come from the data migration.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from activity.models import Delivery
from tenants.models import Customer, EntityApiKey, Membership, User, WebhookEndpoint
from tenants.services import customer_provision
from tests.fixtures_portal import change_form_data, staff_groups_ensure

from .test_admin import writes

CUSTOMERS = reverse("admin:tenants_customer_changelist")
MEMBERS = reverse("admin:tenants_membership_changelist")
USERS = reverse("admin:tenants_user_changelist")
KEYS = reverse("admin:tenants_entityapikey_changelist")
DELIVERIES = reverse("admin:activity_delivery_changelist")
GROUPS = ["Support", "Operations", "Key custodian", "Offboarding"]

# action → (admin list it belongs to, the permission it needs, also a customer-page button)
ACTIONS = {
    "provision": (CUSTOMERS, "tenants.provision_customer", True),
    "update_details": (CUSTOMERS, "tenants.update_entity_details", True),
    "rotate_key": (CUSTOMERS, "tenants.rotate_entityapikey", True),
    "sync_members": (CUSTOMERS, "tenants.sync_members", True),
    "disable": (CUSTOMERS, "tenants.disable_customer", True),
    "enable": (CUSTOMERS, "tenants.disable_customer", True),
    "switch_to_api_key": (CUSTOMERS, "tenants.change_access_mode", True),
    "switch_to_user": (CUSTOMERS, "tenants.change_access_mode", True),
    "offboard": (CUSTOMERS, "tenants.offboard_customer", True),
    "reconcile": (CUSTOMERS, "tenants.reconcile_customer", True),
    "check_drift": (CUSTOMERS, "tenants.reconcile_customer", True),
    "register_webhook": (CUSTOMERS, "tenants.register_webhookendpoint", True),
    "rotate_webhook": (CUSTOMERS, "tenants.rotate_webhookendpoint", True),
    "replay": (DELIVERIES, "activity.replay_delivery", False),
    "resend_invitation": (MEMBERS, "tenants.resend_invitation", False),
    "deactivate": (USERS, "tenants.activate_user", False),
    "activate": (USERS, "tenants.activate_user", False),
    "remove_unreadable": (KEYS, "tenants.delete_entityapikey", False),
}
# The state a customer is in when its page offers the button.
BUTTON_STATE = {
    "provision": {"provisioning_state": "failed"},
    "update_details": {"details_state": "failed"},
    "enable": {"is_active": False},
    "switch_to_user": {"access_mode": "api_key"},
}
# Other states a button needs, set up otherwise than on the customer's own row.
BUTTON_SETUP = {
    # Offered to customers without an endpoint (provisioned before webhooks).
    "register_webhook": lambda pk: WebhookEndpoint.objects.filter(customer_id=pk).delete(),
}
# Change-form fields that act upstream or on access, and the permission each needs.
ACTING_FIELDS = {
    "new_member_email": "tenants.add_membership",
}


def group_member(name: str) -> User:
    staff_groups_ensure()
    user = User.objects.create_user(email=f"{name.replace(' ', '-').lower()}@partner.example")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=name))
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def world(make_customer, make_member, simulator):
    """A provisioned customer (one member of each kind of row the actions select)."""
    customer = make_customer(name="Matrix Ltd")
    member = make_member(customer, "m@matrix.example", "editor")
    customer = customer_provision(customer=customer, actor="t")
    delivery = Delivery.objects.create(
        customer=customer, endpoint_id="wh_x", body_sha256="0" * 64, body=b"{}"
    )
    return {
        CUSTOMERS: customer.pk,
        MEMBERS: member.pk,
        USERS: member.user.pk,
        KEYS: EntityApiKey.objects.get(customer=customer).pk,
        DELIVERIES: delivery.pk,
    }


def state(simulator, customer_pk) -> tuple:
    """What an action could change: upstream writes, and the customer and its rows here."""
    customer = Customer.objects.get(pk=customer_pk)
    return (
        writes(simulator),
        customer.is_active,
        customer.access_mode,
        customer.offboarding_started_at,
        list(customer.api_keys.values_list("pk", "revoked_at")),
        list(Membership.objects.values_list("pk", "sync_state")),
        list(User.objects.values_list("pk", "is_active")),
        list(WebhookEndpoint.objects.values_list("pk", "retired_at")),
        list(Delivery.objects.values_list("pk", "processed_at", "error")),
    )


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("action", ACTIONS)
def test_a_list_action_is_offered_only_with_its_permission_and_refused_without_it(
    client, world, simulator, group, action
):
    changelist, permission, _ = ACTIONS[action]
    user = group_member(group)
    client.force_login(user)
    allowed = user.has_perm(permission)
    page = client.get(changelist)
    viewable = page.status_code == 200
    assert (viewable and f'value="{action}"' in page.content.decode()) == allowed
    if allowed:
        return
    before = state(simulator, world[CUSTOMERS])
    client.post(
        changelist,
        {"action": action, "confirmed": "yes", "_selected_action": [world[changelist]]},
    )
    assert state(simulator, world[CUSTOMERS]) == before


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("action", [a for a, (_, _, button) in ACTIONS.items() if button])
def test_a_customer_page_button_is_shown_only_with_its_permission_and_refused_without_it(
    client, world, simulator, group, action
):
    _, permission, _ = ACTIONS[action]
    user = group_member(group)
    client.force_login(user)
    customer_pk = world[CUSTOMERS]
    # A button shows only where it makes sense: put the customer in that state.
    Customer.objects.filter(pk=customer_pk).update(**BUTTON_STATE.get(action, {}))
    BUTTON_SETUP.get(action, lambda pk: None)(customer_pk)
    button = reverse("admin:tenants_customer_act", args=[customer_pk, action])
    page = client.get(reverse("admin:tenants_customer_change", args=[customer_pk]))
    assert (button in page.content.decode()) == user.has_perm(permission)
    if user.has_perm(permission):
        assert client.get(button).status_code == 200  # the confirmation, nothing done yet
        return
    before = state(simulator, customer_pk)
    assert client.post(button, {"confirmed": "yes"}).status_code in (302, 403)
    assert client.get(button).status_code in (302, 403)
    assert state(simulator, customer_pk) == before


# Commits for real: the admin acts on Space Invoices once its transaction has committed.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("field", ACTING_FIELDS)
def test_an_acting_form_field_is_offered_only_with_its_permission(
    client, make_customer, simulator, group, field
):
    user = group_member(group)
    client.force_login(user)
    customer = make_customer(access_mode="api_key")
    url = reverse("admin:tenants_customer_change", args=[customer.pk])
    page = client.get(url)
    shown = page.status_code == 200 and f'name="{field}"' in page.content.decode()
    allowed = user.has_perm(ACTING_FIELDS[field]) and user.has_perm("tenants.change_customer")
    assert shown == allowed
    if allowed:
        return
    before = (writes(simulator), Membership.objects.count(), EntityApiKey.objects.count())
    forced = {
        "new_member_email": {"new_member_email": "sneak@x.example", "new_member_role": "admin"}
    }[field]
    client.post(url, change_form_data(customer, **forced))
    after = (writes(simulator), Membership.objects.count(), EntityApiKey.objects.count())
    assert after == before and not Customer.objects.get(pk=customer.pk).entity_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group", GROUPS)
def test_attaching_a_key_needs_the_key_permission_alone(
    client, make_customer, simulator, account_key, group
):
    """A key custodian attaches a key made elsewhere without the right to change the
    customer's other fields; a group without the key permission is refused, nothing done."""
    from tests.fixtures_portal import entity_made_elsewhere

    user = group_member(group)
    client.force_login(user)
    customer = make_customer(access_mode="api_key")
    page = client.get(reverse("admin:tenants_customer_change", args=[customer.pk]))
    attach = reverse("admin:tenants_customer_attach_key", args=[customer.pk])
    allowed = user.has_perm("tenants.rotate_entityapikey")
    assert (page.status_code == 200 and attach in page.content.decode()) == allowed
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    before = (writes(simulator), EntityApiKey.objects.count())
    answer = client.post(attach, {"key": key, "entity_id": entity_id})
    customer.refresh_from_db()
    if allowed:
        assert answer.status_code == 302
        assert customer.entity_id == entity_id and customer.api_keys.active().get().key == key
    else:
        assert answer.status_code == 403
        assert (writes(simulator), EntityApiKey.objects.count()) == before
        assert not customer.entity_id


def test_the_groups_hold_what_the_readme_says(db):
    perms = {g.name: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()}
             for g in Group.objects.prefetch_related("permissions__content_type")}  # fmt: skip
    assert all(p.split(".")[1].startswith("view_") for p in perms["Support"])
    assert "tenants.rotate_entityapikey" not in perms["Operations"]
    assert "tenants.offboard_customer" not in perms["Operations"]
    assert perms["Key custodian"] >= {"tenants.rotate_entityapikey", "tenants.delete_entityapikey"}
    assert "tenants.offboard_customer" in perms["Offboarding"]
    # A webhook secret is rotated by the custodians of secrets; Operations registers.
    assert "tenants.rotate_webhookendpoint" in perms["Key custodian"]
    assert "tenants.rotate_webhookendpoint" not in perms["Operations"]
    assert "tenants.register_webhookendpoint" in perms["Operations"]
    assert "activity.replay_delivery" in perms["Operations"]
    # No group may grant access: that is a superuser's alone.
    for codes in perms.values():
        assert not {"auth.change_group", "auth.add_group"} & codes


@pytest.mark.parametrize("group", GROUPS)
def test_a_failed_job_item_is_retried_only_with_both_permissions(
    client, world, simulator, account_key, group
):
    """Retrying needs its own permission and that of the action retried (a sync here)."""
    from jobs.bulk import job_create
    from jobs.models import JobItem

    customer = Customer.objects.get(pk=world[CUSTOMERS])
    Membership.objects.filter(customer=customer).update(role="admin", sync_state="pending")
    simulator.fault(path_prefix="/entities/users", method="PATCH", status=422, count=1)
    job = job_create(kind="sync_members", label="Sync members", customers=[customer])
    [item] = job.items.all()
    assert item.state == "failed"
    user = group_member(group)
    client.force_login(user)
    allowed = user.has_perm("jobs.retry_jobitem") and user.has_perm("tenants.sync_members")
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    assert (page.status_code == 200 and 'value="Retry"' in page.content.decode()) == allowed
    before = state(simulator, customer.pk)
    client.post(reverse("admin:jobs_job_retry", args=[job.pk, item.pk]))
    if allowed:
        assert JobItem.objects.get(pk=item.pk).state == "done"
    else:
        assert JobItem.objects.get(pk=item.pk).state == "failed"
        assert state(simulator, customer.pk) == before


def test_a_refused_button_does_not_tell_which_customers_exist(client, make_customer):
    """Refused before the lookup: an existing customer and a made-up id answer alike."""
    client.force_login(group_member("Support"))
    real = make_customer(name="Hidden Ltd").pk
    for pk in (real, real + 1000):
        url = reverse("admin:tenants_customer_act", args=[pk, "provision"])
        assert client.get(url).status_code == 403
