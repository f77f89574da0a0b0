"""The client against bodies built from the contract's field lists, not the simulator's."""

import pytest

from spaceinvoices.client import (
    Conflict,
    IdempotencyKeyReused,
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    SpaceInvoicesClient,
    Unauthorized,
    Unavailable,
)

from .conftest import CANNED_KEY as KEY

ENTITY = "ent_" + "a" * 24
# The documented entity-user object: exactly these fields [doc]; no status, no invitation id.
USER_FIELDS = {
    "user_id": "user_1",
    "entity_id": ENTITY,
    "role": "viewer",
    "email": "ana@example.com",
    "name": None,
    "invited_by_user_id": None,
    "created_at": "2026-01-20T10:00:00.000Z",
}
INVITATION_FIELDS = {
    "id": "einv_1",
    "entity_id": ENTITY,
    "email": "ana@example.com",
    "role": "viewer",
    "status": "pending",
    "expires_at": "2026-01-27T10:00:00.000Z",
    "created_at": "2026-01-20T10:00:00.000Z",
}


@pytest.fixture
def client(canned_client) -> SpaceInvoicesClient:
    return canned_client


def user(n: int, **fields) -> dict:
    return USER_FIELDS | {"user_id": f"user_{n}", "email": f"u{n}@example.com"} | fields


def test_a_user_without_status_or_invitation_id(canned, client):
    canned.answer("POST", "/entities/users", 201, USER_FIELDS)
    added = client.entity_user_add(ENTITY, email="ana@example.com", role="viewer")
    assert (added.user_id, added.email, added.role) == ("user_1", "ana@example.com", "viewer")
    [sent] = canned.seen
    assert sent.headers["x-entity-id"] == ENTITY and sent.headers["X-Request-Id"]


def test_a_user_with_fewer_fields_than_documented(canned, client):
    canned.answer(
        "GET",
        "/entities/users",
        200,
        {"data": [{"user_id": "user_9", "email": "x@example.com", "role": "admin"}]},
    )
    [only] = client.entity_users_list(ENTITY)
    assert (only.user_id, only.entity_id, only.created_at) == ("user_9", None, None)


def test_a_list_without_pagination_is_read_in_one_call(canned, client):
    canned.answer("GET", "/entities/users", 200, {"data": [user(1), user(2)]})
    assert [u.user_id for u in client.entity_users_list(ENTITY)] == ["user_1", "user_2"]
    assert len(canned.seen) == 1


def test_a_paginated_list_is_followed_to_its_end(canned, client):
    def page(items, cursor, more):
        block = {"total": 5, "next_cursor": cursor, "prev_cursor": None, "has_more": more}
        return {"data": items, "pagination": block}

    canned.answer("GET", "/entities/users", 200, page([user(1), user(2)], "user_2", True))
    canned.answer("GET", "/entities/users", 200, page([user(3), user(4)], "user_4", True))
    canned.answer("GET", "/entities/users", 200, page([user(5)], None, False))
    got = [u.user_id for u in client.entity_users_list(ENTITY)]
    assert got == [f"user_{n}" for n in range(1, 6)]
    assert [s.params.get("next_cursor") for s in canned.seen] == [None, "user_2", "user_4"]


def test_a_cursor_that_repeats_is_a_typed_error_not_a_loop(canned, client):
    block = {"total": -1, "next_cursor": "user_1", "prev_cursor": None, "has_more": True}
    canned.answer("GET", "/entities/invitations", 200, {"data": [], "pagination": block})
    with pytest.raises(MalformedResponse, match="repeats"):
        client.invitations_list(ENTITY)
    assert len(canned.seen) == 2


def test_pending_invitations_come_from_the_invitations_list(canned, client):
    accepted = INVITATION_FIELDS | {"id": "einv_2", "email": "bo@example.com", "status": "accepted"}
    canned.answer("GET", "/entities/invitations", 200, {"data": [INVITATION_FIELDS, accepted]})
    assert list(client.invitations_pending(ENTITY)) == ["ana@example.com"]


def test_a_422_with_zod_issues_names_each_field_path(canned, client):
    canned.answer(
        "POST",
        "/entities",
        422,
        {
            "code": "validation_error",
            "message": "Invalid input",
            "cause": {
                "issues": [
                    {"path": ["post_code"], "message": "Too long", "code": "too_big"},
                    {"path": ["settings", "primary_color"], "message": "Bad", "code": "x"},
                ]
            },
        },
    )
    with pytest.raises(InvalidRequest) as caught:
        client.entity_create(name="Acme", country="Slovenia", post_code="1" * 30)
    assert caught.value.field_errors == {
        "post_code": ["Too long"],
        "settings.primary_color": ["Bad"],
    }
    assert caught.value.status == 422 and "post_code: Too long" in str(caught.value)
    assert len(canned.seen) == 1  # bad input is never retried


def test_an_html_502_from_a_proxy_keeps_its_status_and_is_retried(canned, client):
    canned.answer(
        "GET",
        "/entities",
        502,
        b"<html><body>Bad gateway</body></html>",
        {"Content-Type": "text/html"},
    )
    with pytest.raises(Unavailable) as caught:
        client.entities_page()
    assert caught.value.status == 502 and "<html>" not in str(caught.value)
    assert len(canned.seen) == 3  # the first try and two retries


def test_an_empty_401_is_unauthorized(canned, client):
    canned.answer("GET", "/entities", 401, b"")
    with pytest.raises(Unauthorized) as caught:
        client.entities_page()
    assert caught.value.status == 401 and caught.value.code is None


def test_any_2xx_is_success(canned, client):
    canned.answer("POST", "/entities/api-keys", 200, {"id": "ek_sandbox_" + "f" * 32})
    canned.answer("DELETE", "/entities/users/user_1", 200, {"deleted": True})
    canned.answer(
        "POST", f"/entities/{ENTITY}/disable", 202, b"accepted", {"Content-Type": "text/plain"}
    )
    created = client.api_key_create(ENTITY, name="portal")
    assert created.prefix_hint == "ek_sandbox_fff...fff" and created.environment == "sandbox"
    client.entity_user_remove(ENTITY, "user_1")
    client.entity_disable(ENTITY)
    assert [s.method for s in canned.seen] == ["POST", "DELETE", "POST"]


def test_an_entity_answer_with_only_an_id(canned, client):
    canned.answer("POST", "/entities", 201, {"id": ENTITY})
    entity = client.entity_create(name="Acme", country="Slovenia")
    assert (entity.id, entity.is_enabled, entity.metadata) == (ENTITY, True, {})


def test_a_2xx_without_the_body_a_call_needs_is_malformed(canned, client):
    canned.answer("POST", "/entities/users", 201, b"")
    with pytest.raises(MalformedResponse):
        client.entity_user_add(ENTITY, email="ana@example.com")


def test_lookup_by_metadata_filters_upstream_and_checks_again(canned, client):
    other = {"id": "ent_" + "b" * 24, "metadata": {"portal_customer": "someone-else"}}
    mine = {"id": ENTITY, "metadata": {"portal_customer": "c-1"}}
    # A service that ignored the filter answers both: the client still picks the right one.
    canned.answer("GET", "/entities", 200, {"data": [other, mine]})
    assert client.entity_find_by_metadata(key="portal_customer", value="c-1").id == ENTITY
    [sent] = canned.seen
    assert sent.params["query"] == '{"metadata.portal_customer":{"equals":"c-1"}}'


def test_more_to_come_without_a_cursor_is_an_error_not_a_short_list(canned, client):
    block = {"total": 5, "next_cursor": None, "prev_cursor": None, "has_more": True}
    canned.answer("GET", "/entities/users", 200, {"data": [user(1)], "pagination": block})
    with pytest.raises(MalformedResponse, match="without a next cursor"):
        client.entity_users_list(ENTITY)


def test_an_id_cannot_reach_another_path(canned, client):
    canned.answer("DELETE", "/entities/users/..%2Fapi-keys%3Fx%3D", 204)
    client.entity_user_remove(ENTITY, "../api-keys?x=")
    [sent] = canned.seen
    assert sent.path == "/entities/users/..%2Fapi-keys%3Fx%3D" and sent.params == {}


def test_a_time_without_an_offset_is_utc(canned, client):
    canned.answer("GET", "/entities/users", 200, {"data": [user(1, created_at="2026-01-20")]})
    [only] = client.entity_users_list(ENTITY)
    assert only.created_at.utcoffset().total_seconds() == 0


def test_a_retry_after_that_is_not_a_number_falls_back_to_backoff(canned, client):
    canned.answer("GET", "/entities", 429, {"code": "rate_limit_exceeded"},
                  {"Retry-After": "nan"})  # fmt: skip
    with pytest.raises(RateLimited) as caught:
        client.entities_page()
    assert caught.value.retry_after is None and len(canned.seen) == 3


def test_headers_and_one_request_id_for_every_try_of_a_write(canned, client):
    canned.answer("POST", "/entities", 503, {"code": "down"})
    canned.answer("POST", "/entities", 201, {"id": ENTITY})
    canned.answer("GET", "/entities/users", 200, {"data": []})
    client.entity_create(name="Acme", country="Slovenia")
    client.entity_users_list(ENTITY)
    first, retry, read = canned.seen
    for sent in (first, retry, read):
        assert sent.headers["Authorization"] == f"Bearer {KEY}"
        assert sent.headers["x-spaceinvoices-client"] == "partner-portal"
        assert sent.headers["Accept"] == "application/json"
    assert first.headers["X-Request-Id"] == retry.headers["X-Request-Id"]
    assert first.headers["X-Request-Id"].startswith("portal:call:")
    assert "X-Request-Id" not in read.headers and read.headers["x-entity-id"] == ENTITY
    assert "x-entity-id" not in first.headers
    assert first.body == {"name": "Acme", "country": "Slovenia"}


def test_a_caller_request_id_is_sent_as_given(canned, client):
    canned.answer("PATCH", f"/entities/{ENTITY}", 200, {"id": ENTITY, "city": "Bled"})
    updated = client.entity_update(ENTITY, request_id="portal:given", city="Bled", address="")
    [sent] = canned.seen
    assert sent.headers["X-Request-Id"] == "portal:given" and updated.city == "Bled"
    assert sent.body == {"city": "Bled", "address": None}  # a cleared field is null


def test_every_documented_field_is_read(canned, client):
    """Each answer parsed in full, so a field read from the wrong key cannot pass."""
    stamp = "2026-01-20T10:00:00.000Z"
    canned.answer("GET", "/entities/invitations", 200, {"data": [INVITATION_FIELDS]})
    [invitation] = client.invitations_list(ENTITY)
    assert (invitation.id, invitation.entity_id, invitation.email, invitation.role) == (
        "einv_1", ENTITY, "ana@example.com", "viewer",
    )  # fmt: skip
    assert invitation.expires_at.isoformat() == "2026-01-27T10:00:00+00:00"
    assert invitation.created_at.isoformat() == "2026-01-20T10:00:00+00:00"
    assert invitation.is_pending

    token = {"token": "tok_1", "user_id": "user_1", "entity_id": ENTITY, "role": "editor",
             "expires_at": stamp}  # fmt: skip
    canned.answer("POST", "/entities/users/user_1/token", 201, token)
    minted = client.user_token_create(ENTITY, "user_1", ttl=90)
    assert (minted.token, minted.user_id, minted.entity_id, minted.role) == (
        "tok_1", "user_1", ENTITY, "editor",
    )  # fmt: skip
    assert minted.expires_at.isoformat() == "2026-01-20T10:00:00+00:00"
    assert canned.seen[-1].body == {"ttl": 90} and "tok_1" not in repr(minted)

    secret = "ek_sandbox_" + "c" * 32
    created = {"id": secret, "entity_id": ENTITY, "name": "portal", "environment": "sandbox",
               "prefix_hint": "ek_sandbox_ccc...ccc", "expires_at": stamp, "created_at": stamp,
               "updated_at": stamp}  # fmt: skip
    canned.answer("POST", "/entities/api-keys", 201, created)
    key = client.with_key(secret).key_token_create(ENTITY, ttl=120)
    assert (key.token, key.entity_id, key.expires_at.year) == (secret, ENTITY, 2026)
    sent = canned.seen[-1]
    assert sent.body == {"name": "embed launch", "ttl": 120}
    assert sent.headers["Authorization"] == f"Bearer {secret}" and secret not in repr(key)

    listed = {k: v for k, v in created.items() if k != "id"} | {"id": "ek_sandbox_ccc...ccc"}
    canned.answer("GET", "/entities/api-keys", 200, {"data": [listed]})
    [info] = client.api_keys_list(ENTITY)
    assert (info.prefix_hint, info.entity_id, info.name, info.environment) == (
        "ek_sandbox_ccc...ccc", ENTITY, "portal", "sandbox",
    )  # fmt: skip
    assert info.created_at.isoformat() == "2026-01-20T10:00:00+00:00"
    assert info.expires_at.isoformat() == "2026-01-20T10:00:00+00:00"

    full = {"id": ENTITY, "name": "Acme", "country": "Slovenia", "country_code": "SI",
            "environment": "sandbox", "is_enabled": False, "created_at": stamp,
            "updated_at": stamp, "address": "Main 1", "city": "Bled", "post_code": "4260",
            "tax_number": "SI1", "is_tax_subject": True, "locale": "sl",
            "metadata": {"portal_customer": "c-1"}}  # fmt: skip
    canned.answer("POST", "/entities", 201, full)
    entity = client.entity_create(name="Acme", country="Slovenia")
    assert (entity.name, entity.country, entity.country_code, entity.environment) == (
        "Acme", "Slovenia", "SI", "sandbox",
    )  # fmt: skip
    assert (entity.address, entity.city, entity.post_code, entity.tax_number) == (
        "Main 1", "Bled", "4260", "SI1",
    )  # fmt: skip
    assert (entity.is_enabled, entity.is_tax_subject, entity.locale) == (False, True, "sl")
    assert entity.metadata == {"portal_customer": "c-1"}
    assert entity.created_at == entity.updated_at and entity.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "expected a JSON object"),
        ({"user_id": 1, "email": "a@b.c", "role": "viewer"}, "'user_id' has the wrong type"),
        ({"user_id": "u", "email": "a@b.c", "role": True}, "'role' has the wrong type"),
        ({"user_id": "u", "email": "a@b.c", "role": "v", "created_at": "x"}, "not a timestamp"),
    ],
)
def test_a_field_of_the_wrong_type_is_a_typed_error(canned, client, body, problem):
    canned.answer("POST", "/entities/users", 201, body)
    with pytest.raises(MalformedResponse, match=problem):
        client.entity_user_add(ENTITY, email="a@b.c")


def test_a_page_reads_its_pagination_block(canned, client):
    block = {"total": 42, "next_cursor": "ent_n", "prev_cursor": "ent_p", "has_more": True}
    canned.answer("GET", "/entities", 200, {"data": [{"id": ENTITY}], "pagination": block})
    page = client.entities_page(limit=1, next_cursor="ent_x", include_total_count=True)
    assert (page.total, page.next_cursor, page.prev_cursor, page.has_more) == (
        42, "ent_n", "ent_p", True,
    )  # fmt: skip
    assert [e.id for e in page.data] == [ENTITY]
    assert canned.seen[-1].params == {
        "limit": "1", "next_cursor": "ent_x", "include_total_count": "true",
    }  # fmt: skip
    # Fewer fields than documented: no total is -1, a next cursor alone means more.
    canned.answer("GET", "/customers", 200, {"data": [], "pagination": {"next_cursor": "c"}})
    partial = client.customers_page(ENTITY, prev_cursor="c0", include_total_count=False)
    assert (partial.total, partial.has_more, partial.prev_cursor) == (-1, True, None)
    assert canned.seen[-1].params == {
        "limit": "10", "prev_cursor": "c0", "include_total_count": "false",
    }  # fmt: skip
    canned.answer("GET", "/items", 200, {"data": [{"id": "item_1"}, {"id": "item_2"}]})
    whole = client.items_page(ENTITY, query={"price": {"gt": 1}}, order_by="-price")
    assert (whole.total, whole.has_more, whole.next_cursor) == (2, False, None)
    assert canned.seen[-1].params["query"] == '{"price":{"gt":1}}'
    assert canned.seen[-1].params["order_by"] == "-price"


def test_odd_zod_issues_still_name_a_field(canned, client):
    issues = [
        {"path": "name", "message": "Required"},
        {"message": "Bad request as a whole"},
        {"path": ["city"]},
        "not an issue",
    ]
    canned.answer(
        "POST", "/entities", 422, {"code": "validation_error", "cause": {"issues": issues}}
    )
    with pytest.raises(InvalidRequest) as caught:
        client.entity_create(name="A", country="B")
    assert caught.value.field_errors == {
        "name": ["Required"],
        "(request)": ["Bad request as a whole"],
        "city": ["is not valid"],
    }
    assert str(caught.value).startswith("[422 validation_error] Space Invoices answered HTTP 422")


@pytest.mark.parametrize(
    ("call", "path", "kind"),
    [
        (lambda c: c.invitations_list(ENTITY), ("GET", "/entities/invitations"), "invitation"),
        (lambda c: c.api_keys_list(ENTITY), ("GET", "/entities/api-keys"), "api key"),
        (lambda c: c.entity_users_list(ENTITY), ("GET", "/entities/users"), "entity user"),
        (lambda c: c.entities_page(), ("GET", "/entities"), "entity"),
    ],
)
def test_a_missing_field_names_the_object_it_is_missing_from(canned, client, call, path, kind):
    canned.answer(*path, 200, {"data": [{"nothing": "here"}]})
    with pytest.raises(MalformedResponse) as caught:
        call(client)
    assert str(caught.value).startswith(f"{kind}: field ")
    canned.answer("POST", "/entities/users/u/token", 201, {"user_id": "u"})
    with pytest.raises(MalformedResponse, match=r"^launch token: field 'token' is missing$"):
        client.user_token_create(ENTITY, "u")


def test_error_bodies_of_odd_types_keep_the_status(canned, client):
    canned.answer("GET", "/entities", 409, {"code": 5, "message": ["not text"]})
    with pytest.raises(Conflict) as caught:
        client.entities_page()
    assert (caught.value.code, caught.value.message) == (None, "Space Invoices answered HTTP 409")
    canned.answer("POST", "/entities", 503, {"code": "maintenance", "message": "Back at 10"})
    with pytest.raises(Unavailable) as down:
        client.entity_create(name="A", country="B")
    assert (down.value.code, down.value.message, down.value.status) == (
        "maintenance", "Back at 10", 503,
    )  # fmt: skip
    reused = {"code": "idempotency_key_reused", "message": "Used for another request"}
    canned.answer("PATCH", f"/entities/{ENTITY}", 422, reused)
    with pytest.raises(IdempotencyKeyReused) as caught_reused:
        client.entity_update(ENTITY, city="X")
    assert (caught_reused.value.status, caught_reused.value.message) == (
        422, "Used for another request",
    )  # fmt: skip


def test_entities_page_sends_its_filters(canned, client):
    canned.answer("GET", "/entities", 200, {"data": []})
    client.entities_page(environment="live", query={"name": "Acme"}, prev_cursor="ent_p")
    assert canned.seen[-1].params == {
        "limit": "10",
        "prev_cursor": "ent_p",
        "include_total_count": "true",
        "environment": "live",
        "query": '{"name":"Acme"}',
    }
