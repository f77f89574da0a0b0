"""Invoices, customers and items: a little sample data per entity, listed and filtered."""

import json

from .api import ApiError, Call, route
from .paging import paginate
from .store import Store, dumps, new_id

OPERATORS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def seed_documents(store: Store, entity_id: str) -> None:
    """Every new entity starts with a few documents, so that lists and summaries show data."""
    samples = [
        ("cust_", "customer", {"name": "Acme d.o.o.", "country": "Slovenia"}),
        ("cust_", "customer", {"name": "Globex GmbH", "country": "Germany"}),
        ("item_", "item", {"name": "Consulting hour", "price": 80.0}),
        ("item_", "item", {"name": "Support plan", "price": 250.0}),
        ("inv_", "invoice", {"number": "2026-001", "total": 400.0, "date_due": "2026-11-15"}),
        ("inv_", "invoice", {"number": "2026-002", "total": 250.0, "date_due": "2026-12-15"}),
        ("inv_", "invoice", {"number": "2026-003", "total": 80.0, "date_due": "2027-01-15"}),
    ]
    for prefix, kind, data in samples:
        doc_id = new_id(prefix)
        store.run(
            "INSERT INTO documents (id, kind, entity_id, data) VALUES (?, ?, ?, ?)",
            doc_id,
            kind,
            entity_id,
            dumps({"id": doc_id, **data}),
        )


def _matches(data: dict, query: dict) -> bool:
    for field, condition in query.items():
        value = data.get(field)
        ops = condition if isinstance(condition, dict) else {"eq": condition}
        for op, operand in ops.items():
            if op not in OPERATORS:
                raise ApiError(400, "invalid_query", f"Unknown operator {op!r}.")
            try:
                if value is None or not OPERATORS[op](value, operand):
                    return False
            except TypeError:
                return False
    return True


def _list(store: Store, call: Call, kind: str):
    raw = call.params.get("query")
    query = None
    if raw:
        try:
            query = json.loads(raw)
        except ValueError:
            query = None
        if not isinstance(query, dict):
            raise ApiError(400, "invalid_query", "query must be a JSON object.")
    where, args = "kind = ? AND entity_id = ?", (kind, call.entity["id"])
    if query:
        # Filter in Python, then page over the matching ids: small data, simple code.
        ids = [
            r["id"]
            for r in store.all(f"SELECT id, data FROM documents WHERE {where}", *args)
            if _matches(json.loads(r["data"]), query)
        ]
        where += f" AND id IN ({','.join('?' * len(ids)) or 'NULL'})"
        args = (*args, *ids)
    return 200, paginate(store, call, "documents", where, args, lambda r: json.loads(r["data"]))


@route("GET", "/invoices", "entity")
def invoices_list(store: Store, call: Call):
    return _list(store, call, "invoice")


@route("GET", "/customers", "entity")
def customers_list(store: Store, call: Call):
    return _list(store, call, "customer")


@route("GET", "/items", "entity")
def items_list(store: Store, call: Call):
    return _list(store, call, "item")
