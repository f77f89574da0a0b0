"""What each client call puts on the wire: method, path, entity header and request id."""

import time

import pytest

from spaceinvoices.client import InvalidRequest, MalformedResponse, RateLimited

from .test_client_contract_shapes import ENTITY, INVITATION_FIELDS, USER_FIELDS

WEBHOOK_FIELDS = {
    "id": "wh_1",
    "url": "https://p.example/h",
    "events": ["invoice.paid"],
    "active": True,
    "secret": "whsec_" + "0" * 48,
    "created_at": "2026-01-20T10:00:00.000Z",
}
KEY_FIELDS = {
    "id": "ak_1",
    "entity_id": ENTITY,
    "name": "k",
    "key": "ek_sandbox_" + "0" * 32,
    "created_at": "2026-01-20T10:00:00.000Z",
}

# (call, method, path, answer): every write the portal makes, with a request id of its own.
WRITES = [
    (lambda c, rid: c.entity_disable(ENTITY, request_id=rid),
     "POST", f"/entities/{ENTITY}/disable", (204, None)),
    (lambda c, rid: c.entity_enable(ENTITY, request_id=rid),
     "POST", f"/entities/{ENTITY}/enable", (204, None)),
    (lambda c, rid: c.entity_user_role_set(ENTITY, "user_1", role="admin", request_id=rid),
     "PATCH", "/entities/users/user_1", (200, USER_FIELDS)),
    (lambda c, rid: c.entity_user_remove(ENTITY, "user_1", request_id=rid),
     "DELETE", "/entities/users/user_1", (204, None)),
    (lambda c, rid: c.entity_user_add(ENTITY, email="a@b.example", request_id=rid),
     "POST", "/entities/users", (201, USER_FIELDS)),
    (lambda c, rid: c.api_key_delete(ENTITY, "ak_1", request_id=rid),
     "DELETE", "/entities/api-keys/ak_1", (204, None)),
    (lambda c, rid: c.invitation_resend(ENTITY, "einv_1", request_id=rid),
     "POST", "/entities/invitations/einv_1/resend", (200, INVITATION_FIELDS)),
    (lambda c, rid: c.key_token_create(ENTITY, ttl=60, request_id=rid),
     "POST", "/entities/api-keys", (201, KEY_FIELDS)),
    (lambda c, rid: c.user_token_create(ENTITY, "user_1", ttl=60, request_id=rid),
     "POST", "/entities/users/user_1/token", (201, {"token": "t", "user_id": "user_1"})),
    (lambda c, rid: c.webhook_create(ENTITY, url="https://p.example/h", events=["invoice.paid"],
                                     request_id=rid),
     "POST", "/webhooks", (201, WEBHOOK_FIELDS)),
    (lambda c, rid: c.webhook_delete(ENTITY, "wh_1", request_id=rid),
     "DELETE", "/webhooks/wh_1", (204, None)),
    (lambda c, rid: c.invoice_create(ENTITY, customer={"name": "B"}, items=[], request_id=rid),
     "POST", "/invoices", (201, {"id": "inv_1"})),
    (lambda c, rid: c.payment_create(ENTITY, document_id="inv_1", amount=5.0, date="2026-11-30",
                                     request_id=rid),
     "POST", "/payments", (201, {"id": "pay_1"})),
    (lambda c, rid: c.invoice_void(ENTITY, "inv_1", request_id=rid),
     "POST", "/invoices/inv_1/void", (200, {"id": "inv_1"})),
]  # fmt: skip


@pytest.mark.parametrize(("call", "method", "path", "answer"), WRITES)
def test_every_write_sends_the_callers_request_id_and_the_entity(
    canned,
    canned_client,
    call,
    method,
    path,
    answer,
):
    canned.answer(method, path, *answer)
    call(canned_client, "portal:given:1")
    [sent] = canned.seen
    assert (sent.method, sent.path) == (method, path)
    assert sent.headers["X-Request-Id"] == "portal:given:1"
    entity_scoped = not path.startswith(f"/entities/{ENTITY}")
    assert sent.headers.get("x-entity-id") == (ENTITY if entity_scoped else None)


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda c: c.invoices_page(ENTITY, next_cursor="inv_n"), "/invoices"),
        (lambda c: c.customers_page(ENTITY, next_cursor="inv_n"), "/customers"),
        (lambda c: c.items_page(ENTITY, next_cursor="inv_n"), "/items"),
    ],
)
def test_business_data_is_read_with_the_entity_header_and_the_cursor(
    canned,
    canned_client,
    call,
    path,
):
    canned.answer("GET", path, 200, {"data": [{"id": "inv_1"}]})
    page = call(canned_client)
    [sent] = canned.seen
    assert sent.headers["x-entity-id"] == ENTITY
    assert sent.params == {"limit": "10", "next_cursor": "inv_n", "include_total_count": "true"}
    assert page.data == [{"id": "inv_1"}]


def test_a_document_that_is_not_an_object_is_malformed(canned, canned_client):
    canned.answer("GET", "/invoices", 200, {"data": ["inv_1"]})
    with pytest.raises(MalformedResponse, match=r"^document: "):
        canned_client.invoices_page(ENTITY)


def test_keys_are_listed_for_the_entity_asked_for(canned, canned_client):
    canned.answer("GET", "/entities/api-keys", 200, {"data": []})
    assert canned_client.api_keys_list(ENTITY) == []
    assert canned.seen[0].headers["x-entity-id"] == ENTITY


def test_a_429_without_retry_after_is_retried_with_backoff(canned, canned_client):
    canned.answer("GET", "/entities", 429, {"code": "rate_limit_exceeded", "message": "Slow down"})
    with pytest.raises(RateLimited) as caught:
        canned_client.entities_page()
    assert caught.value.retry_after is None and len(canned.seen) == 3
    assert str(caught.value) == "[429 rate_limit_exceeded] Slow down"


def test_a_refusal_reads_as_one_line_naming_each_field(canned, canned_client):
    issues = [
        "not an issue",  # skipped; the issues after it are still read
        {"path": ["post_code"], "message": "Too long"},
        {"path": ["post_code"], "message": "Digits only"},
        {"path": ["city"], "message": "Required"},
    ]
    body = {"code": "validation_error", "message": "Invalid", "cause": {"issues": issues}}
    canned.answer("POST", "/entities", 422, body)
    with pytest.raises(InvalidRequest) as caught:
        canned_client.entity_create(name="A", country="B")
    assert str(caught.value) == (
        "[422 validation_error] Invalid (post_code: Too long Digits only; city: Required)"
    )
    canned.answer("PATCH", f"/entities/{ENTITY}", 400, {"code": "bad", "message": "No"})
    with pytest.raises(InvalidRequest) as plain:
        canned_client.entity_update(ENTITY, city="X")
    assert str(plain.value) == "[400 bad] No"


def test_an_undocumented_status_is_still_a_typed_error_that_reads_well(canned, canned_client):
    from spaceinvoices.client import SpaceInvoicesError

    canned.answer("GET", "/entities", 418, b"")
    with pytest.raises(SpaceInvoicesError) as caught:
        canned_client.entities_page()
    assert type(caught.value) is SpaceInvoicesError and caught.value.status == 418
    assert str(caught.value).startswith("[418 error] ")  # no code in the answer
    assert repr(caught.value).startswith("SpaceInvoicesError(status=418, code=None, message=")


def test_a_listed_key_is_known_by_its_hint_or_else_its_masked_id(canned, canned_client):
    listed = [
        {"id": "ek_sandbox_***...a1", "prefix_hint": "ek_sandbox_12ab...a1"},
        {"id": "ek_sandbox_***...b2"},
    ]
    canned.answer("GET", "/entities/api-keys", 200, {"data": listed})
    hints = [key.prefix_hint for key in canned_client.api_keys_list(ENTITY)]
    assert hints == ["ek_sandbox_12ab...a1", "ek_sandbox_***...b2"]


def test_a_base_url_with_a_trailing_slash_and_the_hook_before_every_request(canned):
    from spaceinvoices.client import SpaceInvoicesClient, Transport

    calls = []
    transport = Transport(base_url=canned.url + "/", before_request=lambda: calls.append(1))
    client = SpaceInvoicesClient(transport=transport, api_key="sk_sandbox_" + "1" * 32)
    canned.answer("GET", "/entities", 200, {"data": []})
    client.entities_page()
    client.entities_page()
    assert [sent.path for sent in canned.seen] == ["/entities", "/entities"]
    assert calls == [1, 1]


def test_calls_share_one_kept_alive_connection(canned, canned_client):
    canned.answer("GET", "/entities", 200, {"data": []})
    for _ in range(3):
        canned_client.entities_page()
    assert len({sent.client_port for sent in canned.seen}) == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced_not_failed(canned):
    """An idle connection the server closed (its keep-alive timeout) is noticed before it
    is reused: the next call goes out on a new one, even with no retry allowed."""
    from spaceinvoices.client import RetryPolicy, SpaceInvoicesClient, Transport

    transport = Transport(base_url=canned.url, retry=RetryPolicy(max_retries=0))
    client = SpaceInvoicesClient(transport=transport, api_key="sk_sandbox_" + "1" * 32)
    canned.answer("GET", "/entities", 200, {"data": []}, hang_up=True)
    canned.answer("GET", "/entities", 200, {"data": []})
    client.entities_page()
    time.sleep(0.05)  # the server's close reaches the idle connection
    client.entities_page()
    first, second = canned.seen
    assert first.client_port != second.client_port


def test_https_checks_the_certificate_and_the_host_name():
    import ssl

    from spaceinvoices.client.http import ConnectionPool

    pool = ConnectionPool("https://si.example", connect_timeout=1, read_timeout=1)
    assert pool.tls.verify_mode == ssl.CERT_REQUIRED and pool.tls.check_hostname
    with pytest.raises(ValueError, match="not an http"):
        ConnectionPool("ftp://si.example", connect_timeout=1, read_timeout=1)


def test_a_base_url_with_a_path_prefixes_every_call(canned):
    from spaceinvoices.client import SpaceInvoicesClient, Transport

    transport = Transport(base_url=canned.url + "/v1/")
    client = SpaceInvoicesClient(transport=transport, api_key="sk_sandbox_" + "1" * 32)
    canned.answer("GET", "/v1/entities", 200, {"data": []})
    client.entities_page()
    assert [sent.path for sent in canned.seen] == ["/v1/entities"]


def test_an_entity_user_is_read_in_full_and_added_with_an_invitation_by_default(
    canned, canned_client
):
    full = USER_FIELDS | {"name": "Ana", "invited_by_user_id": "user_0"}
    canned.answer("GET", "/entities/users", 200, {"data": [full]})
    [user] = canned_client.entity_users_list(ENTITY)
    assert (user.user_id, user.entity_id, user.email, user.role) == (
        "user_1", ENTITY, "ana@example.com", "viewer",
    )  # fmt: skip
    assert (user.name, user.invited_by_user_id) == ("Ana", "user_0")
    canned.answer("POST", "/entities/users", 201, USER_FIELDS)
    canned_client.entity_user_add(ENTITY, email="ana@example.com")
    assert canned.seen[-1].body == {
        "email": "ana@example.com",
        "role": "editor",
        "send_invite": True,
    }  # fmt: skip  (the API's own default)


def test_invitations_are_read_for_the_entity_asked_for(canned, canned_client):
    canned.answer("GET", "/entities/invitations", 200, {"data": [INVITATION_FIELDS]})
    assert list(canned_client.invitations_pending(ENTITY)) == ["ana@example.com"]
    assert canned.seen[-1].headers["x-entity-id"] == ENTITY


def test_an_error_keeps_the_request_id_it_answered(canned, canned_client):
    from spaceinvoices.client import Conflict

    canned.answer("POST", "/entities/users", 409, {"code": "conflict", "message": "Taken"})
    with pytest.raises(Conflict) as caught:
        canned_client.entity_user_add(ENTITY, email="a@b.example", request_id="portal:given:9")
    assert caught.value.request_id == "portal:given:9"


def test_one_entity_is_read_by_its_id(canned, canned_client):
    from spaceinvoices.client import NotFound

    canned.answer("GET", f"/entities/{ENTITY}", 200, {"id": ENTITY, "city": "Bled",
                                                       "is_enabled": False})  # fmt: skip
    entity = canned_client.entity_get(ENTITY)
    assert (entity.id, entity.city, entity.is_enabled) == (ENTITY, "Bled", False)
    assert canned.seen[-1].method == "GET"
    canned.answer("GET", "/entities/ent_gone", 404, {"code": "not_found", "message": "No"})
    with pytest.raises(NotFound):
        canned_client.entity_get("ent_gone")


def test_writes_of_business_data_send_the_documented_bodies(canned, canned_client):
    canned.answer("POST", "/payments", 201, {"id": "pay_1"})
    canned.answer("POST", "/webhooks", 201, WEBHOOK_FIELDS)
    payment = canned_client.payment_create(ENTITY, document_id="inv_1", amount=5.0,
                                           date="2026-11-30")  # fmt: skip
    created = canned_client.webhook_create(
        ENTITY, url="https://p.example/h", events=("invoice.paid",), description="portal"
    )
    assert payment == {"id": "pay_1"}
    assert canned.seen[0].body == {"document_id": "inv_1", "amount": 5.0, "date": "2026-11-30"}
    assert canned.seen[1].body == {
        "url": "https://p.example/h", "events": ["invoice.paid"], "description": "portal",
    }  # fmt: skip
    assert (created.id, created.secret, created.events) == (
        "wh_1", WEBHOOK_FIELDS["secret"], ("invoice.paid",),
    )  # fmt: skip
    assert "whsec_" not in repr(created)


def test_every_invoice_is_read_following_cursors_with_the_filter(canned, canned_client):
    canned.answer("GET", "/invoices", 200, {
        "data": [{"id": "inv_1"}],
        "pagination": {"next_cursor": "inv_1", "has_more": True, "total": -1},
    })  # fmt: skip
    canned.answer("GET", "/invoices", 200, {
        "data": [{"id": "inv_2"}],
        "pagination": {"next_cursor": None, "has_more": False, "total": -1},
    })  # fmt: skip
    query = {"created_at": {"gte": "2026-11-01T00:00:00.000Z"}}
    found = list(canned_client.invoices_iter(ENTITY, query=query))
    assert found == [{"id": "inv_1"}, {"id": "inv_2"}]
    first, second = canned.seen
    assert first.headers["x-entity-id"] == second.headers["x-entity-id"] == ENTITY
    assert first.params == {
        "limit": "100", "include_total_count": "false",
        "query": '{"created_at":{"gte":"2026-11-01T00:00:00.000Z"}}',
    }  # fmt: skip
    assert second.params["next_cursor"] == "inv_1"


def test_webhook_endpoints_are_listed_without_secrets(canned, canned_client):
    listed = {k: v for k, v in WEBHOOK_FIELDS.items() if k != "secret"}
    canned.answer("GET", "/webhooks", 200, {"data": [listed, {"id": "wh_2"}]})
    first, bare = canned_client.webhooks_list(ENTITY)
    assert (first.id, first.url, first.active) == ("wh_1", "https://p.example/h", True)
    assert (bare.id, bare.url, bare.events, bare.active) == ("wh_2", "", (), True)
    assert canned.seen[0].headers["x-entity-id"] == ENTITY
