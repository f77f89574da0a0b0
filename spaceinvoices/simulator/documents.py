"""Invoices, customers and items: a little sample data per entity, listed and filtered."""

import json
from datetime import timedelta

from .api import Call, invalid, not_found, require_dict, route
from .paging import paginate
from .store import Store, dumps, iso, new_id, now
from .webhooks import emit


def _midnight(days: int, store: Store | None = None) -> str:
    """A document date as the API writes it: an ISO datetime at midnight UTC, on the
    business clock (which the control API may move ahead)."""
    today = store.business_now() if store else now()
    day = (today + timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
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


def _amount(value, name: str, problems: dict) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        problems[name] = ("invalid_type", "Expected a non-negative number.")
        return 0.0
    return float(value)


@route("POST", "/invoices", "entity")
def invoice_create(store: Store, call: Call):
    """From ``customer`` and ``items`` [doc, quick-start]; dates default to today and 30 days."""
    body, problems = require_dict(call.body), {}
    customer, items = body.get("customer"), body.get("items")
    if not isinstance(customer, dict) or not isinstance(customer.get("name"), str):
        problems["customer.name"] = ("invalid_type", "A customer with a name is required.")
    if not isinstance(items, list) or not items:
        problems["items"] = ("too_small", "At least one item is required.")
        items = []
    total = 0.0
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            problems[f"items.{number}"] = ("invalid_type", "Expected an object.")
            continue
        quantity = _amount(item.get("quantity", 1), f"items.{number}.quantity", problems)
        total += quantity * _amount(item.get("price"), f"items.{number}.price", problems)
    currency = body.get("currency_code", "EUR")
    if not isinstance(currency, str) or len(currency) != 3:
        problems["currency_code"] = ("invalid_string", "A three-letter currency code.")
    if problems:
        raise invalid(problems)
    count = store.one(
        "SELECT COUNT(*) FROM documents WHERE kind = 'invoice' AND entity_id = ?",
        call.entity["id"],
    )[0]
    stamp = iso(now())
    invoice = {
        **_invoice(
            call.entity["id"],
            f"2026-{count + 1:03d}",
            {"id": new_id("cust_"), "name": customer["name"]},
            0,
            30,
        ),
        "id": new_id("inv_"),
        "date": body.get("date") or _midnight(0, store),
        "date_due": body.get("date_due") or _midnight(30, store),
        "currency_code": currency,
        "items": items,
        "total": round(total, 2),
        "total_with_tax": round(total, 2),
        "taxes": [],
        "total_due": round(total, 2),
        "created_at": stamp,
        "updated_at": stamp,
    }
    _save(store, "invoice", invoice, insert=True)
    emit(store, call.entity["id"], "invoice.created", invoice)
    return 201, invoice


def _save(store: Store, kind: str, data: dict, *, insert: bool = False) -> None:
    if insert:
        store.run(
            "INSERT INTO documents (id, kind, entity_id, data) VALUES (?, ?, ?, ?)",
            data["id"],
            kind,
            data["entity_id"],
            dumps(data),
        )
    else:
        store.run("UPDATE documents SET data = ? WHERE id = ?", dumps(data), data["id"])


def _invoice_of(store: Store, call: Call, invoice_id) -> dict:
    row = store.one(
        "SELECT data FROM documents WHERE kind = 'invoice' AND id = ? AND entity_id = ?",
        invoice_id,
        call.entity["id"],
    )
    if row is None:
        raise not_found("Invoice")
    return json.loads(row["data"])


@route("POST", "/payments", "entity")
def payment_create(store: Store, call: Call):
    """[chosen] ``{"document_id", "amount", "date"}``; paying the rest marks it paid."""
    body, problems = require_dict(call.body), {}
    amount = _amount(body.get("amount"), "amount", problems)
    if not isinstance(body.get("document_id"), str):
        problems["document_id"] = ("invalid_type", "Expected an invoice id.")
    if problems:
        raise invalid(problems)
    invoice = _invoice_of(store, call, body["document_id"])
    if invoice["voided_at"]:
        raise invalid({"document_id": ("custom", "The invoice is voided.")})
    paid = round(invoice["total_paid"] + amount, 2)
    invoice.update(
        total_paid=paid,
        total_due=round(max(0.0, invoice["total_with_tax"] - paid), 2),
        paid_in_full=paid >= invoice["total_with_tax"],
        updated_at=iso(now()),
    )
    _save(store, "invoice", invoice)
    payment = {
        "id": new_id("pay_"),
        "entity_id": call.entity["id"],
        "document_id": invoice["id"],
        "amount": amount,
        "currency_code": invoice["currency_code"],
        "date": body.get("date") or _midnight(0, store),
        "created_at": iso(now()),
    }
    emit(store, call.entity["id"], "payment.received", payment)
    # The invoice changed either way: paid in full, or less is due.
    emit(store, call.entity["id"], "invoice.paid" if invoice["paid_in_full"] else "invoice.updated",
         invoice)  # fmt: skip
    return 201, payment


@route("POST", "/invoices/([^/]+)/void", "entity")
def invoice_void(store: Store, call: Call):
    invoice = _invoice_of(store, call, call.args[0])
    if not invoice["voided_at"]:
        invoice.update(voided_at=iso(now()), updated_at=iso(now()))
        _save(store, "invoice", invoice)
        emit(store, call.entity["id"], "invoice.cancelled", invoice)
    return 200, invoice


def clock_advance(store: Store, days: int) -> int:
    """Move the business clock ``days`` ahead; every invoice that is now past due, unpaid
    and not voided sends ``invoice.overdue`` once. How many became overdue."""
    store.clock_days += days
    today = _midnight(0, store)
    overdue = 0
    for row in store.all("SELECT entity_id, data FROM documents WHERE kind = 'invoice'"):
        invoice = json.loads(row["data"])
        if invoice["paid_in_full"] or invoice["voided_at"] or invoice["date_due"] >= today:
            continue
        if store.one("SELECT 1 FROM overdue_sent WHERE invoice_id = ?", invoice["id"]):
            continue
        store.run("INSERT INTO overdue_sent VALUES (?)", invoice["id"])
        emit(store, row["entity_id"], "invoice.overdue", invoice)
        overdue += 1
    return overdue


@route("GET", "/invoices", "entity")
def invoices_list(store: Store, call: Call):
    return _list(store, call, "invoice")


@route("GET", "/customers", "entity")
def customers_list(store: Store, call: Call):
    return _list(store, call, "customer")


@route("GET", "/items", "entity")
def items_list(store: Store, call: Call):
    return _list(store, call, "item")
