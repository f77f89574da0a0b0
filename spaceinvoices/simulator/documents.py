"""Invoices, customers and items: a little sample data per entity, listed and filtered."""

import json
from datetime import timedelta

from .api import Call, route
from .paging import paginate
from .store import Store, dumps, iso, new_id, now


def _midnight(days: int) -> str:
    """A document date as the API writes it: an ISO datetime at midnight UTC."""
    day = (now() + timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    return iso(day)


def _invoice(entity_id: str, number: str, customer: dict, total: float, due_in: int) -> dict:
    """The documented invoice object (the fields the portal may read)."""
    stamp = iso(now())
    return {
        "entity_id": entity_id,
        "number": number,
        "date": _midnight(due_in - 30),
        "date_due": _midnight(due_in),
        "currency_code": "EUR",
        "customer_id": customer["id"],
        "customer": {"name": customer["name"]},
        "items": [{"name": "Consulting hour", "quantity": total / 80.0, "price": 80.0}],
        "total": total,
        "total_with_tax": round(total * 1.22, 2),
        "taxes": [{"rate": 22.0, "amount": round(total * 0.22, 2)}],
        "total_paid": 0.0,
        "total_due": round(total * 1.22, 2),
        "paid_in_full": False,
        "is_draft": False,
        "voided_at": None,
        "metadata": {},
        "created_at": stamp,
        "updated_at": stamp,
    }


def seed_documents(store: Store, entity_id: str) -> None:
    """Every new entity starts with a few documents, so that lists and summaries show data."""
    customers = [
        {"id": new_id("cust_"), "name": "Acme d.o.o.", "country": "Slovenia"},
        {"id": new_id("cust_"), "name": "Globex GmbH", "country": "Germany"},
    ]
    documents = [("customer", c) for c in customers]
    documents += [
        ("item", {"id": new_id("item_"), "name": "Consulting hour", "price": 80.0}),
        ("item", {"id": new_id("item_"), "name": "Support plan", "price": 250.0}),
    ]
    for number, (total, due_in) in enumerate([(400.0, -13), (250.0, 17), (80.0, 48)], start=1):
        invoice = _invoice(entity_id, f"2026-{number:03d}", customers[number % 2], total, due_in)
        documents.append(("invoice", {"id": new_id("inv_"), **invoice}))
    for kind, data in documents:
        store.run(
            "INSERT INTO documents (id, kind, entity_id, data) VALUES (?, ?, ?, ?)",
            data["id"],
            kind,
            entity_id,
            dumps(data),
        )


def _list(store: Store, call: Call, kind: str):
    rows = store.all(
        "SELECT data FROM documents WHERE kind = ? AND entity_id = ?", kind, call.entity["id"]
    )
    return 200, paginate(call, [json.loads(r["data"]) for r in rows])


@route("GET", "/invoices", "entity")
def invoices_list(store: Store, call: Call):
    return _list(store, call, "invoice")


@route("GET", "/customers", "entity")
def customers_list(store: Store, call: Call):
    return _list(store, call, "customer")


@route("GET", "/items", "entity")
def items_list(store: Store, call: Call):
    return _list(store, call, "item")
