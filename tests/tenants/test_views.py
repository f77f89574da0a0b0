"""End-customer pages: home, the customer page, and team management by the customer's admins."""

import pytest
from django.urls import reverse

from tenants.models import Membership, StaffAction
from tests.fixtures_portal import upstream_users

pytestmark = pytest.mark.django_db


def test_home_lists_each_customer_with_role_and_a_post_button(
    login_as, client, acme, make_customer, make_member
):
    other = make_customer(name="Other Co", slug="other")
    make_member(other, "ana@acme.example", "editor")
    page = login_as("ana@acme.example").get(reverse("home")).content.decode()
    assert "Acme d.o.o." in page and "Other Co" in page
    assert "<strong>Admin</strong>" in page and "<strong>Editor</strong>" in page
    assert page.count('method="post" action="/customers/') == 2


def test_a_user_of_one_customer_sees_it_directly(login_as, client, acme):
    response = login_as("bo@acme.example").get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == "/customers/acme/"
    page = client.get("/customers/acme/").content.decode()
    assert "Open invoicing" in page and "Your team" not in page  # a viewer manages nothing


def test_anonymous_home_goes_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_stranger_gets_404(login_as, client, acme, make_customer, make_member):
    make_member(make_customer(slug="else"), "eve@else.example", "admin")
    assert login_as("eve@else.example").get("/customers/acme/").status_code == 404


def test_admin_adds_changes_and_removes_colleagues_upstream(
    login_as, client, acme, simulator, account_key
):
    login_as("ana@acme.example")
    page = client.post(
        "/customers/acme/team/add/", {"email": "cy@acme.example", "role": "editor"}, follow=True
    )
    assert b"cy@acme.example was added as editor" in page.content
    assert upstream_users(simulator, account_key, acme.entity_id)["cy@acme.example"] == "editor"
    bo = Membership.objects.get(user__email="bo@acme.example")
    client.post(f"/customers/acme/team/{bo.pk}/role/", {"role": "admin"})
    assert upstream_users(simulator, account_key, acme.entity_id)["bo@acme.example"] == "admin"
    client.post(f"/customers/acme/team/{bo.pk}/remove/")
    assert "bo@acme.example" not in upstream_users(simulator, account_key, acme.entity_id)
    actor_labels = set(StaffAction.objects.values_list("actor_label", flat=True))
    assert "ana@acme.example" in actor_labels


def test_bad_input_is_a_message(login_as, client, acme, simulator):
    login_as("ana@acme.example")
    page = client.post(
        "/customers/acme/team/add/", {"email": "nope", "role": "viewer"}, follow=True
    )
    assert b"Enter a valid email address." in page.content
    page = client.post(
        "/customers/acme/team/add/", {"email": "bo@acme.example", "role": "viewer"}, follow=True
    )
    assert b"already a member" in page.content


def test_outage_while_adding_is_a_message_not_a_traceback(login_as, client, acme, simulator):
    simulator.fault(path_prefix="/entities/users", method="GET", status=503, count=9)
    login_as("ana@acme.example")
    page = client.post(
        "/customers/acme/team/add/", {"email": "zed@acme.example", "role": "viewer"}, follow=True
    )
    assert page.status_code == 200 and b"That did not work" in page.content


def test_viewer_cannot_manage_and_admin_cannot_change_themselves(login_as, client, acme):
    bo = Membership.objects.get(user__email="bo@acme.example")
    ana = Membership.objects.get(user__email="ana@acme.example")
    login_as("bo@acme.example")
    response = client.post("/customers/acme/team/add/", {"email": "x@y.example", "role": "admin"})
    assert response.status_code == 403 and b"Only an admin" in response.content
    login_as("ana@acme.example")
    assert client.post(f"/customers/acme/team/{ana.pk}/remove/").status_code == 403
    assert client.get(f"/customers/acme/team/{bo.pk}/remove/").status_code == 405
