"""Two customers, one per access mode, provisioned in the simulator, with members."""

import pytest

from tenants.models import User
from tenants.services import customer_provision


@pytest.fixture
def acme(make_customer, make_member, simulator):
    customer = make_customer(name="Acme d.o.o.", slug="acme")
    make_member(customer, "ana@acme.example", "admin")
    make_member(customer, "bo@acme.example", "viewer")
    return customer_provision(customer=customer, actor="test")


@pytest.fixture
def globex(make_customer, make_member, simulator):
    customer = make_customer(name="Globex GmbH", slug="globex", access_mode="api_key")
    make_member(customer, "cy@globex.example", "admin")
    make_member(customer, "dee@globex.example", "editor")
    return customer_provision(customer=customer, actor="test")


@pytest.fixture
def login_as(client):
    def login(email):
        client.force_login(User.objects.get(email=email))
        return client

    return login
