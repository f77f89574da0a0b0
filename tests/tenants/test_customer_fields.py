"""What a customer's name, slug and country may be, on the admin's form and in an import."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tenants.models import Customer
from tenants.services import customer_provision

pytestmark = pytest.mark.django_db
ADD = reverse("admin:tenants_customer_add")


def add_form(**fields) -> dict:
    data = {
        "name": "Narnia Trading",
        "slug": "narnia",
        "country": "Slovenia",
        "access_mode": "user",
        "locale": "en",
        "new_member_role": "viewer",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "api_keys-TOTAL_FORMS": "0",
        "api_keys-INITIAL_FORMS": "0",
    }
    return data | fields


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def field_errors(page, field: str) -> str:
    """The error list the admin shows beside one field."""
    form = page.context["adminform"].form
    return " ".join(form.errors.get(field, []))


def test_a_country_nobody_knows_is_refused_on_its_field(staff_client):
    page = staff_client.post(ADD, add_form(country="Narnia"))
    assert page.status_code == 200
    assert field_errors(page, "country") == (
        "“Narnia” is not a country: give its English name (Slovenia, Germany) or its "
        "two-letter code (SI, DE)."
    )
    assert not Customer.objects.exists()


@pytest.mark.parametrize("typed", ["si", "SI", "  slovenia ", "SLOVENIA"])
def test_a_country_by_code_or_in_any_case_is_stored_by_its_name_and_sent_with_its_code(
    staff_client, simulator, account_key, typed
):
    staff_client.post(ADD, add_form(country=typed))
    customer = Customer.objects.get(slug="narnia")
    assert customer.country == "Slovenia"
    customer = customer_provision(customer=customer, actor="t")
    entity = simulator.api("GET", f"/entities/{customer.entity_id}", account_key).json()
    assert (entity["country"], entity["country_code"]) == ("Slovenia", "SI")


@pytest.mark.parametrize(
    ("typed", "code", "stored"),
    [
        ("Bosnia & Herzegovina", "BA", "Bosnia and Herzegovina"),
        ("bosnia and herzegovina", "BA", "Bosnia and Herzegovina"),
        ("Turkey", "TR", "Türkiye"),
        ("Czech Republic", "CZ", "Czechia"),
        ("Cote d'Ivoire", "CI", "Côte d'Ivoire"),
        ("Côte d\u2019Ivoire", "CI", "Côte d'Ivoire"),
        ("UK", "GB", "United Kingdom"),
        ("Hong Kong SAR China", "HK", "Hong Kong"),
        ("Congo - Kinshasa", "CD", "Democratic Republic of the Congo"),
        ("St. Lucia", "LC", "Saint Lucia"),
        ("Kosovo", "XK", "Kosovo"),
        ("USA", "US", "United States"),
    ],
)
def test_common_spellings_name_their_country_and_one_plain_name_is_kept(
    staff_client, typed, code, stored
):
    from tenants.countries import country_find

    assert country_find(typed) == (code, stored)
    staff_client.post(ADD, add_form(country=typed))
    assert Customer.objects.get(slug="narnia").country == stored


@pytest.mark.parametrize("typed", ["EU", "UN", "ZZ", "QO", "Congo", "World", "001", ""])
def test_groupings_reserved_codes_and_ambiguous_names_are_no_country(typed):
    from tenants.countries import country_find

    assert country_find(typed) is None


def test_the_code_is_sent_even_for_a_country_space_invoices_might_not_spell_alike(
    staff_client, simulator, account_key
):
    staff_client.post(ADD, add_form(country="KE"))
    customer = customer_provision(customer=Customer.objects.get(slug="narnia"), actor="t")
    entity = simulator.api("GET", f"/entities/{customer.entity_id}", account_key).json()
    assert (entity["country"], entity["country_code"]) == ("Kenya", "KE")


def test_a_slug_in_capitals_is_refused_beside_its_lower_case_twin(staff_client, make_customer):
    make_customer(name="Acme", slug="acme")
    page = staff_client.post(ADD, add_form(name="ACME", slug="ACME"))
    assert field_errors(page, "slug") == (
        "Use lower-case letters, digits, hyphens and underscores only."
    )
    assert list(Customer.objects.values_list("slug", flat=True)) == ["acme"]


@pytest.mark.parametrize(
    "invisible",
    [
        "\u202e",  # right-to-left override
        "\u200b",  # zero-width space
        "\u2066",  # left-to-right isolate
        "\u061c",  # Arabic letter mark
        "\ufeff",  # byte order mark
        "\u0085",  # next line (C1)
        "\u2028",  # line separator
        "\u2029",  # paragraph separator
        "\u00ad",  # soft hyphen
        "\u034f",  # combining grapheme joiner
        "\u2063",  # invisible separator
        "\u206b",  # activate symmetric swapping
        "\u3164",  # Hangul filler
        "\uffa0",  # half-width Hangul filler
        "\u2800",  # braille blank
        "\ufe0f",  # variation selector
        "\U000e0041",  # tag letter A
        "\ufffb",  # interlinear annotation terminator
        "\u200d",  # zero-width joiner between Latin letters
        "\u200c",  # zero-width non-joiner between Latin letters
    ],
    ids=repr,
)
def test_a_name_with_an_invisible_or_direction_character_is_refused(staff_client, invisible):
    page = staff_client.post(ADD, add_form(name=f"Acme{invisible}Ltd"))
    code = f"U+{ord(invisible):04X}"
    assert field_errors(page, "name").startswith(
        f"Line breaks, control and invisible characters are not allowed here (found: {code} "
    )
    assert not Customer.objects.exists()


def test_a_name_in_a_script_that_needs_joiners_is_taken(staff_client):
    # Zero-width (non-)joiners shape letters in some scripts: not refused.
    name = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian, with a ZWNJ
    staff_client.post(ADD, add_form(name=name))
    assert Customer.objects.get(slug="narnia").name == name


def test_a_slug_saved_before_the_rule_still_lets_its_customer_be_edited(
    staff_client, make_customer
):
    """A capitalised slug is in the customer's links: kept, and the rest still editable."""
    from tests.fixtures_portal import change_form_data

    legacy = make_customer(name="Legacy", slug="Legacy-Up")
    url = reverse("admin:tenants_customer_change", args=[legacy.pk])
    staff_client.post(url, change_form_data(legacy, city="Maribor"))
    assert Customer.objects.get(pk=legacy.pk).city == "Maribor"
    page = staff_client.post(url, change_form_data(legacy, slug="Legacy-Down"))
    assert field_errors(page, "slug").startswith("Use lower-case letters")


def test_an_import_refuses_an_unknown_country_and_takes_a_code(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country\nNarnia,narnia,Narnia\nAcme,acme,si\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)
    assert "row 2, column country: “Narnia” is not a country" in err.getvalue()
    assert not Customer.objects.exists()
    path.write_text("name,slug,country\nAcme,acme,si\n")
    call_command("import_customers", str(path), stdout=StringIO())
    assert Customer.objects.get(slug="acme").country == "Slovenia"


def test_an_import_naming_a_provisioned_customers_country_another_way_changes_nothing(
    tmp_path, make_customer, simulator
):
    customer_provision(customer=make_customer(name="Acme", slug="acme", city=""), actor="t")
    stored = Customer.objects.get(slug="acme").country
    code = {"Slovenia": "si", "Italy": "IT", "Germany": "de"}.get(stored)
    assert code, f"a fixture country this test knows: {stored}"
    path = tmp_path / "customers.csv"
    path.write_text(f"name,slug,country\nAcme,acme,{code}\n")  # as stored, but the code
    out = StringIO()
    call_command("import_customers", str(path), stdout=out)
    assert "0 new, 0 changed, 1 unchanged" in out.getvalue()
    assert Customer.objects.get(slug="acme").details_state == "in_step"  # nothing to send
    path.write_text(f"name,slug,country,city\nAcme,acme,{code},Ljubljana\n")
    call_command("import_customers", str(path), stdout=StringIO())
    customer = Customer.objects.get(slug="acme")
    assert (customer.country, customer.city) == (stored, "Ljubljana")


def test_a_country_saved_before_the_rule_is_reported_by_the_deploy_check(make_customer):
    from tenants.checks import customers_country_check

    make_customer(slug="good", country="Slovenia")
    assert customers_country_check(databases=["default"]) == []
    Customer.objects.filter(pk=make_customer(slug="legacy").pk).update(country="Narnia")
    [warning] = customers_country_check(databases=["default"])
    assert warning.id == "tenants.W003" and "legacy" in warning.msg and "good" not in warning.msg
    assert customers_country_check() == []  # only with --database: no query otherwise


def test_an_import_leaves_what_its_file_has_no_column_for_as_it_is(
    tmp_path, make_customer, simulator
):
    """A file of names and countries updates those; it never blanks the addresses, tax
    numbers or access mode it says nothing about (nor marks their details as not sent)."""
    details = {
        "address": "Trg 1",
        "city": "Kranj",
        "post_code": "4000",
        "tax_number": "SI12345678",
        "is_tax_subject": True,
    }
    keyed = customer_provision(
        customer=make_customer(name="Globex", slug="globex", access_mode="api_key", **details),
        actor="t",
    )
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country\nGlobex,globex,si\n")
    out = StringIO()
    call_command("import_customers", str(path), stdout=out)
    assert "0 new, 0 changed, 1 unchanged" in out.getvalue()
    customer = Customer.objects.get(pk=keyed.pk)
    assert {f: getattr(customer, f) for f in details} == details
    assert (customer.access_mode, customer.details_state) == ("api_key", "in_step")
    path.write_text("name,slug,country,city,access_mode\nGlobex,globex,si,,\n")  # cells, empty
    call_command("import_customers", str(path), stdout=StringIO())
    customer = Customer.objects.get(pk=keyed.pk)
    assert (customer.city, customer.address, customer.access_mode) == ("", "Trg 1", "api_key")


def test_text_saved_before_the_rule_is_named_by_the_deploy_check(make_customer):
    from tenants.checks import customers_hidden_text_check

    make_customer(slug="plain", name="Plain Co")
    assert customers_hidden_text_check(databases=["default"]) == []
    Customer.objects.filter(pk=make_customer(slug="legacy").pk).update(name="Legacy\u200b Co")
    [warning] = customers_hidden_text_check(databases=["default"])
    assert warning.id == "tenants.W004"
    assert "legacy: name (U+200B ZERO WIDTH SPACE)" in warning.msg and "plain" not in warning.msg
    Customer.objects.filter(slug="legacy").update(name="Legacy Co", country="Slovenia\ue000")
    [warning] = customers_hidden_text_check(databases=["default"])
    assert "legacy: country (U+E000 PRIVATE USE)" in warning.msg


def test_every_way_an_email_comes_in_refuses_a_look_alike(
    staff_client, make_customer, acme_like=None
):
    """The customer form's "add a member", the user admin, and createsuperuser: the same
    rule as the team page, and one spelling per address."""
    import os

    from tenants.models import User

    customer = make_customer(name="Acme", slug="acme")
    from tests.fixtures_portal import change_form_data

    url = reverse("admin:tenants_customer_change", args=[customer.pk])
    page = staff_client.post(
        url, change_form_data(customer, new_member_email="\u017ftaff@example.com")
    )
    assert "a look-alike of a plain letter" in field_errors(page, "new_member_email")
    assert not User.objects.filter(email__contains="\u017f").exists()
    add_user = reverse("admin:tenants_user_add")
    User.objects.create_user(email="ana@acme.example")
    users = User.objects.count()
    data = {
        "email": "ANA@acme.example",
        "password1": "a-Long-pass-1234",
        "password2": "a-Long-pass-1234",
    }
    staff_client.post(add_user, data | {"usable_password": "true"})
    assert User.objects.count() == users  # not a second ana in capitals
    os.environ["DJANGO_SUPERUSER_PASSWORD"] = "a-Long-pass-1234"
    try:
        with pytest.raises(CommandError, match="look-alike of a plain letter"):
            call_command("createsuperuser", "--noinput", "--email", "te\u017ft@example.com")
    finally:
        del os.environ["DJANGO_SUPERUSER_PASSWORD"]
    assert User.objects.count() == users


def test_an_import_row_with_more_or_fewer_cells_than_the_header_is_refused(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "name,slug,country,address,city\n"
        "Short,short,at\n"  # two cells missing
        "Long,long,si,Trubarjeva 1, 2nd floor,Kranj\n"  # an unquoted comma
        'Quoted,quoted,si,"Trubarjeva 1, 2nd floor",Kranj\n'
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)
    assert "row 2: fewer cells than the header" in err.getvalue()
    assert "row 3: more cells than the header (quote a value with a comma)" in err.getvalue()
    assert "row 4" not in err.getvalue() and not Customer.objects.exists()


def test_an_import_adding_only_a_member_leaves_the_details_in_step(
    tmp_path, make_customer, make_member, simulator
):
    acme = customer_provision(customer=make_customer(name="Acme", slug="acme", city=""), actor="t")
    from tenants.models import User

    make_member(acme, "ken@acme.example")
    # Stored with a capital, as the user admin could save addresses before they were folded.
    User.objects.filter(email="ken@acme.example").update(email="Ken@acme.example")
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country,members\nAcme,acme,si,ken@acme.example:viewer\n")
    out = StringIO()
    call_command("import_customers", str(path), stdout=out)
    assert "0 new, 0 changed, 1 unchanged" in out.getvalue()
    path.write_text("name,slug,country,members\nAcme,acme,si,newbie@acme.example:viewer\n")
    out = StringIO()
    call_command("import_customers", str(path), stdout=out)
    assert "0 new, 1 changed, 0 unchanged" in out.getvalue()
    acme.refresh_from_db()
    assert acme.details_state == "in_step"  # a member added, no detail to send
    assert acme.memberships.filter(user__email="newbie@acme.example").exists()


def test_an_import_says_what_is_wrong_with_a_members_address(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country,members\nAcme,acme,si,\u017fam@acme.example:viewer\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)
    assert "a look-alike of a plain letter" in err.getvalue()


def test_an_import_never_rechecks_a_field_its_file_has_no_column_for(tmp_path, make_customer):
    """A value saved before a rule (an invisible character in the address) does not block
    a row that says nothing about it; a row that gives the column is checked."""
    legacy = make_customer(name="Globex", slug="globex", country="Germany")
    Customer.objects.filter(pk=legacy.pk).update(address="Unter\u200b den Linden 5")
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country,city\nGlobex,globex,de,Berlin\n")
    call_command("import_customers", str(path), stdout=StringIO())
    legacy.refresh_from_db()
    assert (legacy.city, legacy.address) == ("Berlin", "Unter\u200b den Linden 5")
    path.write_text("name,slug,country,address\nGlobex,globex,de,Unter\u200b den Linden 5\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)
    assert "row 2, column address:" in err.getvalue() and "U+200B" in err.getvalue()
