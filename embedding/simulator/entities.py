"""Entities: create, read, update, disable, enable, list (account key)."""

import json

from .api import Call, invalid, not_found, require_dict, route
from .documents import seed_documents
from .paging import paginate
from .store import Store, dumps, iso, new_id, now

OPTIONAL_TEXT = (
    "address",
    "address_2",
    "post_code",
    "city",
    "state",
    "country_code",
    "tax_number",
    "company_number",
    "email",
    "phone",
    "website",
)
UPDATABLE = ("name", *OPTIONAL_TEXT, "is_tax_subject", "metadata")
COUNTRY_CODES = {
    "austria": "AT",
    "belgium": "BE",
    "croatia": "HR",
    "czechia": "CZ",
    "denmark": "DK",
    "france": "FR",
    "germany": "DE",
    "hungary": "HU",
    "ireland": "IE",
    "italy": "IT",
    "netherlands": "NL",
    "poland": "PL",
    "portugal": "PT",
    "serbia": "RS",
    "slovakia": "SK",
    "slovenia": "SI",
    "spain": "ES",
    "sweden": "SE",
    "switzerland": "CH",
    "united kingdom": "GB",
    "united states": "US",
}


def _validate(body: dict, *, creating: bool) -> dict:
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for name in ("name", "country") if creating else ("name",):
        value = body.get(name)
        if value is None and not creating:
            continue
        if not isinstance(value, str) or not value.strip():
            errors[name] = ["This field is required."]
        elif len(value) > 255:
            errors[name] = ["At most 255 characters."]
        else:
            clean[name] = value.strip()
    for name in OPTIONAL_TEXT:
        if body.get(name) is not None:
            if not isinstance(body[name], str) or len(body[name]) > 255:
                errors[name] = ["Must be a string of at most 255 characters."]
            else:
                clean[name] = body[name]
    if body.get("is_tax_subject") is not None:
        if not isinstance(body["is_tax_subject"], bool):
            errors["is_tax_subject"] = ["Must be a boolean."]
        else:
            clean["is_tax_subject"] = body["is_tax_subject"]
    if body.get("metadata") is not None:
        meta = body["metadata"]
        if not isinstance(meta, dict) or len(meta) > 50:
            errors["metadata"] = ["Must be an object with at most 50 keys."]
        elif any(not isinstance(v, str) or len(v) > 250 for v in meta.values()):
            errors["metadata"] = ["Values must be strings of at most 250 characters."]
        else:
            clean["metadata"] = meta
    if not creating:
        for fixed in ("country", "environment"):
            if fixed in body:
                errors[fixed] = ["This field cannot be changed."]
    if errors:
        raise invalid(errors)
    return clean


def render(row) -> dict:
    data = json.loads(row["data"])
    return {
        "id": row["id"],
        **data,
        "environment": row["environment"],
        "is_enabled": bool(row["is_enabled"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _own_entity(store: Store, call: Call):
    row = store.one(
        "SELECT * FROM entities WHERE id = ? AND account_id = ? AND environment = ?",
        call.args[0],
        call.account["id"],
        call.environment,
    )
    if row is None:
        raise not_found("Entity")
    return row


@route("POST", "/entities", "account")
def entity_create(store: Store, call: Call):
    body = require_dict(call.body)
    clean = _validate(body, creating=True)
    environment = body.get("environment", call.environment)
    if environment != call.environment:
        # Live and sandbox never cross [doc]: the key decides.
        raise invalid({"environment": [f"Must be {call.environment!r} for this API key."]})
    code = clean.get("country_code") or COUNTRY_CODES.get(clean["country"].lower())
    if code is None and len(clean["country"]) == 2:
        code = clean["country"].upper()
    clean["country_code"] = code
    clean.setdefault("metadata", {})
    stamp = iso(now())
    entity_id = new_id("ent_")
    store.run(
        "INSERT INTO entities (id, account_id, environment, data, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        entity_id,
        call.account["id"],
        environment,
        dumps(clean),
        stamp,
        stamp,
    )
    seed_documents(store, entity_id)
    return 201, render(store.one("SELECT * FROM entities WHERE id = ?", entity_id))


@route("GET", "/entities", "account")
def entities_list(store: Store, call: Call):
    environment = call.params.get("environment", call.environment)
    if environment not in ("live", "sandbox"):
        raise invalid({"environment": ["Must be live or sandbox."]})
    if environment != call.environment:
        return 200, paginate(store, call, "entities", "1 = 0", (), render)
    return 200, paginate(
        store,
        call,
        "entities",
        "account_id = ? AND environment = ?",
        (call.account["id"], environment),
        render,
    )


@route("GET", "/entities/(ent_[A-Za-z0-9]+)", "account")
def entity_get(store: Store, call: Call):
    return 200, render(_own_entity(store, call))


@route("PATCH", "/entities/(ent_[A-Za-z0-9]+)", "account")
def entity_update(store: Store, call: Call):
    row = _own_entity(store, call)
    changes = _validate(require_dict(call.body), creating=False)
    data = json.loads(row["data"]) | changes
    store.run(
        "UPDATE entities SET data = ?, updated_at = ? WHERE id = ?",
        dumps(data),
        iso(now()),
        row["id"],
    )
    return 200, render(store.one("SELECT * FROM entities WHERE id = ?", row["id"]))


def _set_enabled(store: Store, call: Call, enabled: bool):
    row = _own_entity(store, call)
    store.run(
        "UPDATE entities SET is_enabled = ?, updated_at = ? WHERE id = ?",
        int(enabled),
        iso(now()),
        row["id"],
    )
    return 200, render(store.one("SELECT * FROM entities WHERE id = ?", row["id"]))


@route("POST", "/entities/(ent_[A-Za-z0-9]+)/disable", "account")
def entity_disable(store: Store, call: Call):
    return _set_enabled(store, call, False)


@route("POST", "/entities/(ent_[A-Za-z0-9]+)/enable", "account")
def entity_enable(store: Store, call: Call):
    return _set_enabled(store, call, True)
