"""The customer page's Attach an entity API key: checked upstream first, never shown, and
nothing stored when the key, the entity or Space Invoices is not right."""

import pytest
from django.urls import reverse

from tenants.models import Customer, EntityApiKey, StaffAction
from tests.fixtures_portal import entity_made_elsewhere

from .test_admin import writes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def attach_url(customer: Customer) -> str:
    return reverse("admin:tenants_customer_attach_key", args=[customer.pk])


def field_errors(answer, field: str) -> list[str]:
    return [str(e) for e in answer.context["form"].errors.get(field, [])]


def test_a_key_made_elsewhere_is_checked_then_attached_and_never_shown(
    staff_client, make_customer, simulator, account_key
):
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(access_mode="api_key")
    page = staff_client.get(attach_url(customer))
    assert page.status_code == 200 and 'name="entity_id"' in page.content.decode()

    wrong = staff_client.post(
        attach_url(customer), {"key": "ek_sandbox_" + "0" * 32, "entity_id": entity_id}
    )
    assert wrong.status_code == 200
    assert field_errors(wrong, "key") == ["Space Invoices does not accept that key."]
    assert not EntityApiKey.objects.exists() and not Customer.objects.get().entity_id

    done = staff_client.post(
        attach_url(customer), {"key": key, "entity_id": entity_id}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse(
        "admin:tenants_customer_change", args=[customer.pk]
    )
    assert "The key was checked and attached." in done.content.decode()
    assert key not in done.content.decode()
    customer.refresh_from_db()
    assert customer.entity_id == entity_id and customer.provisioning_state == "provisioned"
    assert customer.api_keys.active().get().key == key
    assert StaffAction.objects.filter(action="attach_key", customer=customer).count() == 1


def test_a_provisioned_customer_is_asked_only_for_the_key_and_its_old_key_leaves(
    staff_client, make_customer, simulator, account_key
):
    from tenants.services import customer_provision

    customer = customer_provision(customer=make_customer(access_mode="api_key"), actor="t")
    old = customer.api_keys.active().get()
    replacement = simulator.api(
        "POST", "/entities/api-keys", account_key, headers={"x-entity-id": customer.entity_id},
        json={},
    ).json()["id"]  # fmt: skip
    page = staff_client.get(attach_url(customer)).content.decode()
    assert 'name="key"' in page and 'name="entity_id"' not in page
    assert staff_client.post(attach_url(customer), {"key": replacement}).status_code == 302
    assert customer.api_keys.active().get().key == replacement
    assert EntityApiKey.objects.get(pk=old.pk).upstream_deleted_at is not None
    listed = simulator.api(
        "GET", "/entities/api-keys", account_key, headers={"x-entity-id": customer.entity_id}
    ).json()["data"]
    assert len(listed) == 1  # the old key is gone upstream too (keys are listed masked)


def test_an_entity_of_another_customer_is_refused_on_its_field(
    staff_client, make_customer, simulator, account_key
):
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    make_customer(name="Owner", entity_id=entity_id)
    customer = make_customer(name="Other")
    before = writes(simulator)
    answer = staff_client.post(attach_url(customer), {"key": key, "entity_id": entity_id})
    assert field_errors(answer, "entity_id") == [
        f"Entity {entity_id} already belongs to customer Owner."
    ]
    assert writes(simulator) == before and not Customer.objects.get(pk=customer.pk).entity_id


def test_empty_fields_are_named_and_nothing_is_asked_upstream(
    staff_client, make_customer, simulator
):
    customer = make_customer()
    before = simulator.stats()
    answer = staff_client.post(attach_url(customer), {"key": " ", "entity_id": ""})
    assert field_errors(answer, "key") == ["This field is required."]
    assert field_errors(answer, "entity_id") == ["This field is required."]
    assert simulator.stats() == before


def test_an_outage_says_nothing_was_stored(staff_client, make_customer, simulator, account_key):
    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(access_mode="api_key")
    simulator.fault(path_prefix="/entities/api-keys", method="GET", status=503, count=10)
    answer = staff_client.post(attach_url(customer), {"key": key, "entity_id": entity_id})
    [error] = answer.context["form"].non_field_errors()
    assert "Nothing was stored: try again." in error and key not in answer.content.decode()
    assert not EntityApiKey.objects.exists() and not Customer.objects.get().entity_id


def test_a_customer_being_offboarded_takes_no_key(
    staff_client, make_customer, simulator, account_key
):
    from django.utils import timezone

    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(entity_id=entity_id, offboarding_started_at=timezone.now())
    page = staff_client.get(reverse("admin:tenants_customer_change", args=[customer.pk]))
    assert attach_url(customer) not in page.content.decode()
    answer = staff_client.post(attach_url(customer), {"key": key}, follow=True)
    assert "is being offboarded: no key is attached." in answer.content.decode()
    assert not EntityApiKey.objects.exists()


def test_an_error_report_of_the_page_would_mask_the_key(
    staff_client, make_customer, simulator, account_key
):
    from django.views.debug import SafeExceptionReporterFilter

    entity_id, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer(access_mode="api_key")
    answer = staff_client.post(attach_url(customer), {"key": key, "entity_id": entity_id})
    reported = SafeExceptionReporterFilter().get_post_parameters(answer.wsgi_request)
    assert reported["entity_id"] == entity_id and reported["key"] != key
    assert set(reported["key"]) == {"*"}


def test_a_key_replaced_here_and_not_yet_deleted_upstream_is_refused_and_keeps_working(
    staff_client, make_customer, simulator, account_key
):
    """Stored again, it would be deleted upstream by the deletion its old row still owes:
    the active key with it."""
    from tenants.services import customer_provision

    customer = customer_provision(customer=make_customer(access_mode="api_key"), actor="t")
    old = customer.api_keys.active().get().key

    def new_key() -> str:
        made = simulator.api(
            "POST", "/entities/api-keys", account_key,
            headers={"x-entity-id": customer.entity_id}, json={},
        )  # fmt: skip
        return made.json()["id"]

    simulator.fault(path_prefix="/entities/api-keys/", method="DELETE", status=503, count=5)
    replacement = new_key()
    assert staff_client.post(attach_url(customer), {"key": replacement}).status_code == 302
    simulator.clear_faults()
    again = staff_client.post(attach_url(customer), {"key": old})
    assert field_errors(again, "key") == [
        "That key was replaced here and is waiting to be deleted at Space Invoices: attach a "
        "new key, or rotate."
    ]
    assert customer.api_keys.active().get().key == replacement
    for key in (old, replacement):  # neither deleted upstream by the refused attach
        listed = simulator.api(
            "GET", "/entities/api-keys", key, headers={"x-entity-id": customer.entity_id}
        )
        assert listed.status_code == 200


def test_a_customer_provisioned_while_its_key_was_checked_takes_no_key_of_another_entity(
    make_customer, simulator, account_key
):
    from tenants.errors import KeyRejected
    from tenants.services import customer_provision, entity_key_attach

    entity_id, key = entity_made_elsewhere(simulator, account_key)
    stale = make_customer(access_mode="api_key")  # as the page read it: no entity yet
    customer_provision(customer=Customer.objects.get(pk=stale.pk), actor="t")
    provisioned_key = stale.api_keys.active().get().key
    with pytest.raises(KeyRejected, match="provisioned meanwhile") as refused:
        entity_key_attach(customer=stale, key=key, entity_id=entity_id, actor="t")
    assert refused.value.about_entity
    assert stale.api_keys.active().get().key == provisioned_key
    assert Customer.objects.get(pk=stale.pk).entity_id != entity_id


@pytest.mark.parametrize("entity_id", ["ent_a\r\nX-Foo: bar", "ent_\u20acuro", "ent a"])
def test_an_entity_id_that_could_not_be_sent_is_refused_on_its_field(
    staff_client, make_customer, simulator, account_key, entity_id
):
    _, key = entity_made_elsewhere(simulator, account_key)
    customer = make_customer()
    before = simulator.stats()
    answer = staff_client.post(attach_url(customer), {"key": key, "entity_id": entity_id})
    assert answer.status_code == 200
    assert field_errors(answer, "entity_id") == [
        "An entity id has only letters, digits, _ and - (ent_…)."
    ]
    assert simulator.stats() == before and key not in answer.content.decode()


def test_staff_without_the_permission_learn_nothing_of_which_customers_exist(client, make_customer):
    from tenants.models import User

    clerk = User.objects.create_user(email="clerk@partner.example", is_staff=True)
    client.force_login(clerk)
    customer = make_customer()
    missing = reverse("admin:tenants_customer_attach_key", args=[customer.pk + 1000])
    assert client.get(attach_url(customer)).status_code == 403
    assert client.get(missing).status_code == 403


def test_a_key_that_expires_is_refused_and_a_lasting_one_of_the_entity_is_taken(
    staff_client, make_customer, simulator, account_key
):
    from tenants.services import customer_provision

    customer = customer_provision(customer=make_customer(access_mode="api_key"), actor="t")
    old = customer.api_keys.active().get()
    entity = {"x-entity-id": customer.entity_id}
    short = simulator.api(
        "POST", "/entities/api-keys", account_key, headers=entity, json={"ttl": 3600}
    ).json()
    answer = staff_client.post(attach_url(customer), {"key": short["id"]})
    [error] = field_errors(answer, "key")
    assert error.startswith("That key expires (") and "made without an expiry" in error
    assert short["expires_at"][:16].replace("T", " ") in error
    assert customer.api_keys.active().get().pk == old.pk  # nothing replaced
    assert not StaffAction.objects.filter(action="attach_key").exists()
    lasting = simulator.api(
        "POST", "/entities/api-keys", account_key, headers=entity, json={}
    ).json()["id"]
    assert staff_client.post(attach_url(customer), {"key": lasting}).status_code == 302
    assert customer.api_keys.active().get().key == lasting
