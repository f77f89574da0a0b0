"""CSV import in the admin: upload, a summary before anything is saved, then all or none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tenants.models import Customer, StaffAction
from tenants.services import customer_provision
from tests.fixtures_portal import staff_group

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:tenants_customer_import")
HEADER = "name,slug,country,city,access_mode,members\n"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.PORTAL_IMPORT_DIR = tmp_path / "imports"


def upload(client, text: str):
    return client.post(IMPORT, {"file": SimpleUploadedFile("c.csv", text.encode())})


def test_preview_counts_new_changed_and_invalid_then_imports_all(
    client, staff, make_customer, simulator
):
    provisioned = customer_provision(customer=make_customer(slug="old", country="Italy"), actor="t")
    make_customer(slug="same", name="Same", country="Italy", city="Rome")
    client.force_login(staff)
    assert (
        "Import from CSV"
        in client.get(reverse("admin:tenants_customer_changelist")).content.decode()
    )
    text = (
        HEADER
        + "New Co,new-co,Italy,Milan,user,ana@new.example:admin\n"
        + f"Old renamed,old,Italy,{provisioned.city},user,\n"
        + "Same,same,Italy,Rome,user,\n"
    )
    preview = upload(client, text).content.decode()
    assert '<strong id="count-new">1</strong>' in preview
    assert '<strong id="count-changed">1</strong>' in preview
    assert '<strong id="count-unchanged">1</strong>' in preview
    assert not Customer.objects.filter(slug="new-co").exists()  # nothing saved yet
    token = preview.split('name="token" value="')[1].split('"')[0]
    done = client.post(IMPORT, {"confirmed": "yes", "token": token}, follow=True)
    assert b"Imported: 1 new customer(s), left pending" in done.content
    assert b"Imported: 1 existing customer(s) changed." in done.content
    new = Customer.objects.get(slug="new-co")
    assert new.provisioning_state == "pending" and simulator.stats()["entities"] == 1
    assert new.memberships.get().user.email == "ana@new.example"
    old = Customer.objects.get(slug="old")
    assert old.name == "Old renamed" and old.details_state == "pending"
    assert StaffAction.objects.filter(action="import").count() == 2  # new and changed only
    # The token is spent: the same upload cannot be imported twice.
    again = client.post(IMPORT, {"confirmed": "yes", "token": token}, follow=True)
    assert b"That upload has expired" in again.content


def test_an_invalid_file_shows_errors_by_row_and_column_and_offers_no_import(
    client, staff, make_customer, simulator
):
    customer_provision(customer=make_customer(slug="old", country="Italy"), actor="t")
    client.force_login(staff)
    text = (
        HEADER
        + "Good,good,Italy,,user,\n"
        + "Moved,old,Spain,,user,\n"
        + ",nameless,Italy,,user,\n"
    )
    preview = upload(client, text).content.decode()
    assert '<strong id="count-invalid">2</strong>' in preview
    assert (
        "row 3, column country: Space Invoices never changes an entity&#x27;s country." in preview
    )
    assert "row 4, column name: This field is required." in preview
    assert 'name="confirmed"' not in preview
    assert not Customer.objects.filter(slug="good").exists()


def test_import_needs_its_own_permission(client, make_customer):

    from tenants.models import User

    support = User.objects.create_user(email="s@partner.example", is_staff=True)
    support.groups.add(staff_group("Support"))
    client.force_login(support)
    assert (
        "Import from CSV"
        not in client.get(reverse("admin:tenants_customer_changelist")).content.decode()
    )
    assert upload(client, HEADER + "X,x,Italy,,user,\n").status_code == 403
    assert not Customer.objects.filter(slug="x").exists()


def test_a_member_turned_off_after_the_preview_is_named_and_nothing_is_imported(
    client, staff, make_customer, make_member
):
    from tenants.models import User

    make_member(make_customer(slug="other"), "cy@x.example")
    client.force_login(staff)
    preview = upload(client, HEADER + "New Co,new-co,Italy,,user,cy@x.example:editor\n")
    assert '<strong id="count-new">1</strong>' in preview.content.decode()
    User.objects.filter(email="cy@x.example").update(is_active=False)
    token = preview.content.decode().split('name="token" value="')[1].split('"')[0]
    done = client.post(IMPORT, {"confirmed": "yes", "token": token}, follow=True).content.decode()
    assert (
        "Nothing imported: row 2, column members: cy@x.example&#x27;s account is turned off, so "
        "they cannot be added: turn it on again first." in done
    )
    assert not Customer.objects.filter(slug="new-co").exists()


def test_a_row_not_in_utf8_is_named_and_headers_are_read_in_any_case(client, staff):
    client.force_login(staff)
    good = "".join(f"Company {n},company-{n},si\n" for n in range(600))  # past any buffer
    latin = ("Name, Slug ,COUNTRY\n" + good + "Café Olé,cafe,si\n").encode("latin-1")
    page = client.post(IMPORT, {"file": SimpleUploadedFile("c.csv", latin)}).content.decode()
    assert "row 602: not UTF-8 (byte 0xe9): save the file as “CSV UTF-8” and try again" in page
    assert '<strong id="count-invalid">1</strong>' in page and 'name="confirmed"' not in page
    preview = upload(client, "Name, Slug ,COUNTRY\nCafé Olé,cafe,si\n")
    assert '<strong id="count-new">1</strong>' in preview.content.decode()


def test_a_column_named_twice_or_not_at_all_is_refused(client, staff):
    client.force_login(staff)
    page = upload(client, "name,slug,country,Name,\nReal,dupco,si,Other,\n").content.decode()
    assert "column(s) named twice: name" in page
    assert "a column without a name (a comma at the end of the header?)" in page
    assert not Customer.objects.exists()


def test_a_members_cell_of_anything_is_a_row_error_whatever_its_size(client, staff):
    client.force_login(staff)
    cell = ";".join(str(n) for n in range(20_000))  # 108 KB: under the csv field limit
    page = upload(client, f"name,slug,country,members\nBig,big,si,{cell}\n")
    assert page.status_code == 200
    assert "row 2, column members: &#x27;0&#x27;: Enter a valid email address." in (
        page.content.decode()
    )


def test_a_refusal_at_the_import_names_three_rows_and_counts_the_rest(
    client, staff, make_customer, make_member
):
    from tenants.models import User

    make_member(make_customer(slug="other"), "cy@x.example")
    client.force_login(staff)
    rows = "".join(f"Co {n},co-{n},Italy,,user,cy@x.example\n" for n in range(5))
    preview = upload(client, HEADER + rows).content.decode()
    User.objects.filter(email="cy@x.example").update(is_active=False)
    token = preview.split('name="token" value="')[1].split('"')[0]
    done = client.post(IMPORT, {"confirmed": "yes", "token": token}, follow=True).content.decode()
    assert "row 4, column members: cy@x.example&#x27;s account is turned off" in done
    assert "row 5," not in done and "again first; and 2 more." in done


def test_an_import_changing_only_a_role_says_so(client, staff, make_customer, make_member):
    acme = make_customer(slug="acme", name="Acme", country="Italy")
    make_member(acme, "bo@acme.example")
    client.force_login(staff)
    text = HEADER + "Acme,acme,Italy,,user,bo@acme.example:editor\n"
    preview = upload(client, text).content.decode()
    token = preview.split('name="token" value="')[1].split('"')[0]
    done = client.post(IMPORT, {"confirmed": "yes", "token": token}, follow=True).content.decode()
    assert "Imported: 1 existing customer(s) changed." in done and "new customer(s)" not in done
    assert acme.memberships.get().role == "editor"
    again = upload(client, text).content.decode()
    token = again.split('name="token" value="')[1].split('"')[0]
    done = client.post(IMPORT, {"confirmed": "yes", "token": token}, follow=True).content.decode()
    assert "Imported: nothing was different." in done


def test_two_previews_in_two_tabs_are_each_imported_once(client, staff):
    client.force_login(staff)
    tokens = []
    for slug in ("first", "second"):
        preview = upload(client, HEADER + f"{slug.title()},{slug},Italy,,user,\n").content.decode()
        tokens.append(preview.split('name="token" value="')[1].split('"')[0])
    for token in tokens:
        done = client.post(IMPORT, {"confirmed": "yes", "token": token}, follow=True)
        assert b"Imported: 1 new customer(s)" in done.content
    assert set(Customer.objects.values_list("slug", flat=True)) == {"first", "second"}
    again = client.post(IMPORT, {"confirmed": "yes", "token": tokens[0]}, follow=True)
    assert b"That upload has expired" in again.content
