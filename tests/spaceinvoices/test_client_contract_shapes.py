"""The client against bodies built from the contract's field lists, not the simulator's."""

import pytest

from spaceinvoices.client import (
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    RetryPolicy,
    SpaceInvoicesClient,
    Transport,
    Unauthorized,
    Unavailable,
)

from .contract_server import CannedServer

ENTITY = "ent_" + "a" * 24
KEY = "sk_sandbox_" + "1" * 32
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
def canned():
    server = CannedServer().start()
    yield server
    server.stop()


@pytest.fixture
def client(canned) -> SpaceInvoicesClient:
    transport = Transport(
        base_url=canned.url, retry=RetryPolicy(max_retries=2, backoff=0.01, max_wait=2)
    )
    return SpaceInvoicesClient(transport=transport, api_key=KEY)


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
