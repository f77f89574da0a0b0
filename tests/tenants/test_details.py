"""A provisioned customer's details reach its entity; failures leave a visible retry."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from tenants.checks import customers_field_limits_check
from tenants.models import Customer, DetailsState, StaffAction, UpstreamIntent, User
from tenants.services import customer_provision
from tests.fixtures_portal import change_form_data

# The admin calls Space Invoices once its transaction has committed: these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)
CHANGELIST = reverse("admin:tenants_customer_changelist")


def upstream_entity(simulator, account_key, entity_id) -> dict:
    return simulator.api("GET", f"/entities/{entity_id}", account_key).json()


@pytest.fixture
def provisioned(make_customer, simulator):
    return customer_provision(customer=make_customer(name="Acme", city="Ljubljana"), actor="t")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def edit(client, customer, **fields):
    url = reverse("admin:tenants_customer_change", args=[customer.pk])
    return client.post(url, change_form_data(customer, **fields), follow=True)


def test_an_edited_city_reaches_the_entity(
    staff_client, staff, provisioned, simulator, account_key
):
    edit(staff_client, provisioned, city="Maribor", post_code="2000", is_tax_subject="on")
    entity = upstream_entity(simulator, account_key, provisioned.entity_id)
    assert (entity["city"], entity["post_code"], entity["is_tax_subject"]) == (
        "Maribor",
        "2000",
        True,
    )
    provisioned.refresh_from_db()
    assert provisioned.details_state == DetailsState.IN_STEP
    audit = StaffAction.objects.get(action="update_details")
    assert (audit.succeeded, audit.actor, audit.customer) == (True, staff, provisioned)
    assert audit.detail == "name, address, city, post_code, tax_number, is_tax_subject, locale"
    [intent] = UpstreamIntent.objects.filter(customer=provisioned, step="entity.update")
    assert simulator.request_ids("PATCH /entities/{id}") == [intent.request_id]


def test_an_unchanged_save_sends_nothing(staff_client, provisioned, simulator):
    edit(staff_client, provisioned)
    assert simulator.requests_to("PATCH /entities/{id}") == 0


def test_an_outage_leaves_the_edit_saved_failed_and_retryable(
    staff_client, staff, provisioned, simulator, account_key, caplog
):
    simulator.fault(path_prefix="/entities/", method="PATCH", status=503, count=9)
    with caplog.at_level("INFO", logger="tenants.services.details"):
        page = edit(staff_client, provisioned, city="Celje")
    assert b"Space Invoices was not updated" in page.content
    logged = [r.getMessage() for r in caplog.records if r.name == "tenants.services.details"]
    assert logged == [f"details of {provisioned.slug}: failed"]
    provisioned.refresh_from_db()
    assert (provisioned.city, provisioned.details_state) == ("Celje", DetailsState.FAILED)
    assert "503" in provisioned.details_error
    failure = StaffAction.objects.get(action="update_details")
    assert (failure.succeeded, failure.customer, failure.actor) == (False, provisioned, staff)
    assert "503" in failure.detail
    assert upstream_entity(simulator, account_key, provisioned.entity_id)["city"] == "Ljubljana"
    simulator.clear_faults()
    staff_client.post(
        CHANGELIST,
        {"action": "update_details", "confirmed": "yes", "_selected_action": [provisioned.pk]},
    )
    assert upstream_entity(simulator, account_key, provisioned.entity_id)["city"] == "Celje"
    provisioned.refresh_from_db()
    assert (provisioned.details_state, provisioned.details_error) == (DetailsState.IN_STEP, "")


def test_an_upstream_422_names_the_field(staff_client, provisioned, simulator):
    issue = {"path": ["tax_number"], "message": "Not a valid tax number", "code": "custom"}
    body = {"code": "validation_error", "message": "Invalid", "cause": {"issues": [issue]}}
    simulator.fault(path_prefix="/entities/", method="PATCH", status=422, body=body)
    page = edit(staff_client, provisioned, tax_number="SI0")
    assert page.status_code == 200 and b"tax_number: Not a valid tax number" in page.content
    provisioned.refresh_from_db()
    assert provisioned.details_state == DetailsState.FAILED
    assert "tax_number" in provisioned.details_error


def test_country_is_read_only_once_provisioned(staff_client, provisioned, simulator, account_key):
    edit(staff_client, provisioned, country="Germany", city="Koper")
    provisioned.refresh_from_db()
    assert (provisioned.country, provisioned.city) == ("Slovenia", "Koper")
    assert upstream_entity(simulator, account_key, provisioned.entity_id)["country"] == "Slovenia"


def test_details_of_a_provisioned_customer_need_their_own_permission(
    client, provisioned, simulator
):
    clerk = User.objects.create_user(email="clerk@partner.example", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_customer", "change_customer"])
    )
    client.force_login(clerk)
    edit(client, provisioned, city="Ptuj")
    client.post(
        CHANGELIST,
        {"action": "update_details", "confirmed": "yes", "_selected_action": [provisioned.pk]},
    )
    provisioned.refresh_from_db()
    assert provisioned.city == "Ljubljana"
    assert simulator.requests_to("PATCH /entities/{id}") == 0


@pytest.mark.parametrize(
    ("field", "value"), [("post_code", "1" * 21), ("city", "c" * 101), ("tax_number", "t" * 51)]
)
def test_the_documented_limits_are_checked_on_the_form(
    staff_client, provisioned, simulator, field, value
):
    page = edit(staff_client, provisioned, **{field: value})
    assert b"Ensure this value has at most" in page.content
    provisioned.refresh_from_db()
    assert getattr(provisioned, field) != value
    assert simulator.requests_to("PATCH /entities/{id}") == 0


def test_rows_over_the_limits_are_reported_not_truncated(make_customer):
    customer = make_customer(slug="too-long")
    Customer.objects.filter(pk=customer.pk).update(city="c" * 110)
    [warning] = customers_field_limits_check(databases=["default"])
    assert warning.id == "tenants.W002" and "too-long" in warning.msg
    customer.refresh_from_db()
    assert len(customer.city) == 110


def test_the_command_sends_what_is_behind(provisioned, simulator, account_key, capsys):
    Customer.objects.filter(pk=provisioned.pk).update(
        city="Kranj", details_state=DetailsState.FAILED
    )
    call_command("update_entity_details", "--all-behind")
    assert "1 customer(s) done" in capsys.readouterr().out
    assert upstream_entity(simulator, account_key, provisioned.entity_id)["city"] == "Kranj"
    provisioned.refresh_from_db()
    assert provisioned.details_state == DetailsState.IN_STEP


def test_a_line_break_is_refused_on_the_field(staff_client, provisioned, simulator):
    page = edit(staff_client, provisioned, city="Ljub\r\nljana")
    assert b"invisible characters are not allowed here (found: U+000D CONTROL)." in page.content
    provisioned.refresh_from_db()
    assert provisioned.city == "Ljubljana"
    assert simulator.requests_to("PATCH /entities/{id}") == 0


def test_details_of_a_customer_without_an_entity_go_with_provisioning(make_customer, simulator):
    from tenants.errors import NotProvisioned
    from tenants.services import customer_details_update

    newco = make_customer(name="Newco")
    with pytest.raises(
        NotProvisioned, match=r"^Newco is not provisioned; its details go with provisioning\.$"
    ):
        customer_details_update(customer=newco, actor="t")
    assert simulator.requests_to("PATCH /entities/{id}") == 0


def test_the_entity_is_made_in_the_customers_language(make_customer, simulator, account_key):
    customer = customer_provision(customer=make_customer(name="Kranj", locale="sl"), actor="t")
    assert upstream_entity(simulator, account_key, customer.entity_id)["locale"] == "sl"


def test_a_new_customer_takes_the_partners_default_language(make_customer, settings):
    settings.LANGUAGE_CODE = "de"
    assert make_customer(name="Graz").locale == "de"


def test_a_changed_language_reaches_the_entity_and_drift_sees_it_differ(
    staff_client, provisioned, simulator, account_key
):
    from tenants.services.drift import customer_drift_check

    edit(staff_client, provisioned, locale="it")
    assert upstream_entity(simulator, account_key, provisioned.entity_id)["locale"] == "it"
    assert customer_drift_check(customer=provisioned) == []
    Customer.objects.filter(pk=provisioned.pk).update(locale="hr")  # changed past the service
    [finding] = customer_drift_check(customer=provisioned)
    assert finding.detail == "locale differ"


def test_a_language_the_portal_does_not_ship_is_refused_on_the_form(staff_client, provisioned):
    page = edit(staff_client, provisioned, locale="fr")
    assert "Select a valid choice" in page.content.decode()
    assert Customer.objects.get(pk=provisioned.pk).locale == "en"
