"""Contract tests: invoice, customer and item lists with an entity key; filters and order."""

from datetime import UTC, datetime

import pytest

from spaceinvoices.client import InvalidRequest, SpaceInvoicesError

from .conftest import issue_paths


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def numbers(page) -> list[str]:
    return [i["number"] for i in page.data]


def test_lists_and_a_json_query_filter(si, entity, entity_key):
    with_key = si.with_key(entity_key)
    invoices = with_key.invoices_page(entity.id)
    assert invoices.total == 3 and all(i["id"].startswith("inv_") for i in invoices.data)
    # The sample invoices fall due 13 days ago, in 17 days and in 48 days.
    overdue = with_key.invoices_page(entity.id, query={"date_due": {"lt": today()}})
    assert numbers(overdue) == ["2026-001"]
    assert with_key.customers_page(entity.id).total == 2
    page = with_key.items_page(entity.id, limit=1)
    assert (len(page.data), page.has_more) == (1, True)


def test_the_invoice_object_has_the_documented_fields(si, entity, entity_key):
    [invoice] = si.with_key(entity_key).invoices_page(entity.id, limit=1).data
    for name in ("entity_id", "number", "date", "date_due", "currency_code", "customer_id",
                 "total", "total_with_tax", "total_paid", "total_due", "paid_in_full",
                 "is_draft", "voided_at", "created_at", "updated_at"):  # fmt: skip
        assert name in invoice
    assert "status" not in invoice  # paid, overdue and voided are derived, not a field


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"number": "2026-002"}, ["2026-002"]),  # a bare value means equals
        ({"number": {"not": "2026-002"}}, ["2026-001", "2026-003"]),
        ({"total": {"gte": 250}}, ["2026-001", "2026-002"]),
        ({"total": {"between": [80, 250]}}, ["2026-002", "2026-003"]),
        ({"number": {"in": ["2026-001", "2026-003"]}}, ["2026-001", "2026-003"]),
        ({"number": {"notIn": ["2026-001"]}}, ["2026-002", "2026-003"]),
        ({"customer.name": {"contains": "GLOBEX"}}, ["2026-001", "2026-003"]),
        ({"number": {"startsWith": "2026-00", "endsWith": "2"}}, ["2026-002"]),
    ],
)
def test_filter_operators_and_dot_paths(si, entity, entity_key, query, expected):
    page = si.with_key(entity_key).invoices_page(entity.id, query=query, order_by="number")
    assert numbers(page) == expected


def test_order_by_descending(si, entity, entity_key):
    page = si.with_key(entity_key).invoices_page(entity.id, order_by="-total")
    assert [i["total"] for i in page.data] == [400.0, 250.0, 80.0]


def test_an_unknown_operator_is_refused(si, entity, entity_key):
    with pytest.raises(SpaceInvoicesError) as caught:
        si.with_key(entity_key).invoices_page(entity.id, query={"total": {"eq": 80}})
    assert caught.value.status == 400 and caught.value.code == "invalid_query"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("post_code", "1" * 21),
        ("city", "c" * 101),
        ("tax_number", "t" * 51),
        ("address", "a" * 501),
        ("country_code", "SVN"),
        ("locale", "xx"),
    ],
)
def test_the_simulator_enforces_each_field_limit(si, simulator, field, value):
    with pytest.raises(InvalidRequest) as caught:
        si.entity_create(name="Acme", country="Slovenia", **{field: value})
    assert list(caught.value.field_errors) == [field]
    assert simulator.stats()["entities"] == 0


def test_patch_takes_only_the_documented_fields(si, entity, simulator):
    raw = simulator.api(
        "PATCH", f"/entities/{entity.id}", si._api_key, json={"colour": "red", "is_enabled": False}
    )
    assert raw.status_code == 422 and issue_paths(raw) == {"colour"}
    ok = simulator.api("PATCH", f"/entities/{entity.id}", si._api_key, json={"is_enabled": False})
    assert ok.status_code == 200 and ok.json()["is_enabled"] is False
    nested = simulator.api(
        "PATCH", f"/entities/{entity.id}", si._api_key, json={"settings": {"primary_color": 1}}
    )
    assert issue_paths(nested) == {"settings.primary_color"}


def test_odd_queries_are_answered_never_a_500(si, entity, simulator):
    def get(**params):
        return simulator.api("GET", "/entities", si._api_key, params=params)

    assert get(order_by="metadata").status_code == 200
    assert get(query='{"metadata": {"gt": {}}}').json()["data"] == []
    assert get(query='{"name": {"contains": 5}}').status_code == 400
    assert get(limit="abc").json()["cause"]["issues"][0]["code"] == "invalid_type"
    assert get(limit="0").json()["cause"]["issues"][0]["code"] == "too_small"


def test_one_request_id_for_two_entities_is_two_requests(si, entity, simulator):
    other = si.entity_create(name="Other", country="Italy")
    body = {"email": "same@x.example", "send_invite": False}
    headers = {"X-Request-Id": "portal:one-id"}
    first = simulator.api("POST", "/entities/users", si._api_key, json=body,
                          headers={**headers, "x-entity-id": entity.id})  # fmt: skip
    second = simulator.api("POST", "/entities/users", si._api_key, json=body,
                           headers={**headers, "x-entity-id": other.id})  # fmt: skip
    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (422, "idempotency_key_reused")
