"""A select compiled once gives what the ORM gives: every field converted, related cached."""

import datetime as dt

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.compiled_select import CompiledSelect, select_together
from tenants.models import Customer, Membership, User
from tests.conftest import postgres_dsn, require

pytestmark = pytest.mark.django_db

MEMBERSHIP = CompiledSelect([(Membership, "m"), (Customer, "c")], "{m.user} = %s AND {c.slug} = %s")


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.fixture
def membership(make_customer, make_member):
    customer = make_customer(
        slug="acme",
        is_active=False,
        is_tax_subject=True,
        key_rejected_at=timezone.now() - dt.timedelta(days=2),
        entity_id="ent_1",
    )
    return make_member(customer, "ana@acme.example", "editor")


def test_the_row_is_what_the_orm_reads(membership):
    found = MEMBERSHIP.get([membership.user_id, "acme"])
    expected = Membership.objects.select_related("customer").get(pk=membership.pk)
    assert _fields(found) == _fields(expected)
    # Booleans, datetimes and UUIDs come back typed on every backend (SQLite stores them
    # as integers and text: its converters ran).
    assert found.customer.is_active is False and found.customer.is_tax_subject is True
    assert found.customer.key_rejected_at == expected.customer.key_rejected_at
    assert found.customer.key_rejected_at.tzinfo is not None
    assert found.uuid == expected.uuid and not isinstance(found.uuid, str)
    assert _fields(found.customer) == _fields(expected.customer)


def test_the_related_instance_costs_no_query_and_the_row_saves_as_an_update(membership):
    found = MEMBERSHIP.get([membership.user_id, "acme"])
    with CaptureQueriesContext(connection) as queries:
        assert found.customer.slug == "acme"
    assert len(queries) == 0
    assert found._state.adding is False and found._state.db == "default"
    found.role = "admin"
    found.save(update_fields=["role"])
    assert Membership.objects.get(pk=membership.pk).role == "admin"
    assert Membership.objects.count() == 1


def test_no_row_is_none_and_every_parameter_counts(membership, make_customer):
    make_customer(slug="other")
    assert MEMBERSHIP.get([membership.user_id, "other"]) is None
    assert MEMBERSHIP.get([membership.user_id + 1000, "acme"]) is None


def test_one_model_alone(membership):
    by_id = CompiledSelect([(User, "u")], "{u.id} = %s")
    user = by_id.get([membership.user_id])
    assert user.email == "ana@acme.example" and user.check_password("pw-member-123")
    assert by_id.get([membership.user_id + 1000]) is None


def test_a_field_that_is_not_there_is_an_error_at_first_use():
    with pytest.raises(AttributeError, match="nope"):
        CompiledSelect([(User, "u")], "{u.nope} = %s").get([1])


def test_selects_together_give_what_each_gives_alone_in_one_round_trip_on_postgresql(
    membership, make_customer
):
    by_id = CompiledSelect([(User, "u")], "{u.id} = %s")
    make_customer(slug="quoted")
    with CaptureQueriesContext(connection) as queries:
        user, found, none = select_together(
            (by_id, [membership.user_id]),
            (MEMBERSHIP, [membership.user_id, "acme"]),
            # A quote in a parameter stays a parameter, whichever way it is sent.
            (MEMBERSHIP, [membership.user_id, "quoted'; DELETE FROM tenants_customer; --"]),
        )
    assert _fields(user) == _fields(by_id.get([membership.user_id]))
    assert _fields(found) == _fields(MEMBERSHIP.get([membership.user_id, "acme"]))
    assert found.customer.slug == "acme" and found.customer.is_active is False
    assert none is None and Customer.objects.count() == 2
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)


def test_with_server_side_binding_the_selects_go_one_by_one(membership):
    require(connection.vendor == "postgresql", "server-side binding is PostgreSQL's")
    options = connection.settings_dict["OPTIONS"]
    options["server_side_binding"] = True
    try:
        with CaptureQueriesContext(connection) as queries:
            found, again = select_together(
                (MEMBERSHIP, [membership.user_id, "acme"]),
                (MEMBERSHIP, [membership.user_id, "acme"]),
            )
    finally:
        del options["server_side_binding"]
    assert found.pk == again.pk == membership.pk and len(queries) == 2


@pytest.fixture
def next_request(monkeypatch):
    """What Django does when a request starts (connections to check before their first
    query), and a record of every health check it runs."""
    require(connection.vendor == "postgresql", "a lost connection is PostgreSQL's to lose")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    checks = []
    wrapper = type(connections["default"])
    is_usable = wrapper.is_usable

    def recorded(self):
        checks.append(self.alias)
        return is_usable(self)

    monkeypatch.setattr(wrapper, "is_usable", recorded)

    def start():
        close_old_connections()
        return checks

    return start


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_as_a_requests_first_query_it_is_the_health_check_and_a_lost_connection_is_replaced(
    make_customer, make_member, next_request
):
    membership = make_member(make_customer(slug="acme"), "ana@acme.example", "editor")
    lost = _backend_pid()
    with psycopg.connect(postgres_dsn(), autocommit=True) as other:  # as a restart or a proxy would
        other.execute("SELECT pg_terminate_backend(%s)", [lost])
    checks = next_request()
    user, found = select_together(
        (CompiledSelect([(User, "u")], "{u.id} = %s"), [membership.user_id]),
        (MEMBERSHIP, [membership.user_id, "acme"]),
    )
    assert user.pk == membership.user_id and found.pk == membership.pk
    assert _backend_pid() != lost  # answered on a new connection
    assert checks == []  # and no SELECT 1 went first
    checks = next_request()
    assert MEMBERSHIP.get([membership.user_id, "acme"]).pk == membership.pk
    assert checks == []  # a healthy connection costs no check either


@pytest.mark.django_db(transaction=True)
def test_a_query_that_fails_on_a_live_connection_is_not_run_again(
    make_customer, make_member, next_request
):
    membership = make_member(make_customer(slug="acme"), "ana@acme.example", "editor")
    slow = CompiledSelect([(User, "u")], "{u.id} = %s AND pg_sleep(0.2) IS NOT NULL")
    live = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 50")
    try:
        next_request()
        with pytest.raises(OperationalError, match="statement timeout"):
            slow.get([membership.user_id])
        assert _backend_pid() == live
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


USER_AND_MEMBERSHIP = CompiledSelect(
    [(User, "u"), (Membership, "m"), (Customer, "c")],
    "{u.email} = %s",
    joins="LEFT OUTER JOIN ({m} INNER JOIN {c} ON {c.id} = {m.customer} AND {c.slug} = %s) "
    "ON {m.user} = {u.id}",
)


def test_written_out_joins_give_each_table_and_none_where_an_outer_join_found_nothing(
    membership, make_customer
):
    user, found, customer = USER_AND_MEMBERSHIP.get_each(["acme", "ana@acme.example"])
    assert user.pk == membership.user_id and found.pk == membership.pk
    assert customer.slug == "acme" and customer.is_active is False  # converted, as the ORM does
    with CaptureQueriesContext(connection) as queries:
        assert found.customer is customer  # cached on the instance that holds the key
    assert len(queries) == 0
    make_customer(slug="other")
    user, found, customer = USER_AND_MEMBERSHIP.get_each(["other", "ana@acme.example"])
    assert user.pk == membership.user_id and (found, customer) == (None, None)
    assert USER_AND_MEMBERSHIP.get_each(["acme", "nobody@acme.example"]) == [None, None, None]
