"""Entities: create, read, update, disable, enable, list (account key)."""

import json

from .api import Call, invalid, not_found, require_dict, route
from .documents import seed_documents
from .paging import paginate
from .store import Store, dumps, iso, new_id, now

# Length limits of the official UI's entity schema; name [chosen]. Written out here, not
# imported from the client's contract, so that the simulator checks the client instead of
# agreeing with it by construction.
TEXT_LIMITS = {
    "name": 255,
    "address": 500,
    "address_2": 500,
    "post_code": 20,
    "city": 100,
    "state": 100,
    "country": 100,
    "tax_number": 50,
    "company_number": 50,
    "phone": 50,
    "email": 255,
    "website": 500,
    "currency_code": 3,
    "timezone": 64,
}
REQUIRED = ("name", "country")
LOCALES = ("en", "sl", "de", "it", "fr", "es", "pt", "nl", "pl", "hr")
OTHER = ("country_code", "is_tax_subject", "metadata", "locale", "settings", "environment")
FIXED = ("country", "country_code", "environment")  # a PATCH never changes these
# What an entity answer holds besides id, environment, is_enabled and the timestamps.
RENDERED = (*TEXT_LIMITS, "country_code", "is_tax_subject", "metadata", "locale", "settings")
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


def _check_text(name: str, value, errors: dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = ("invalid_type", "Expected string.")
    elif len(value) > TEXT_LIMITS[name]:
        errors[name] = ("too_big", f"At most {TEXT_LIMITS[name]} characters.")
    else:
        return value
    return None


def _check_other(body: dict, errors: dict, clean: dict) -> None:
    if body.get("country_code") is not None:
        code = body["country_code"]
        if not isinstance(code, str) or len(code) != 2 or not code.isalpha():
            errors["country_code"] = ("invalid_string", "Exactly two letters.")
        else:
            clean["country_code"] = code.upper()
    if body.get("is_tax_subject") is not None:
        if not isinstance(body["is_tax_subject"], bool):
            errors["is_tax_subject"] = ("invalid_type", "Expected boolean.")
        else:
            clean["is_tax_subject"] = body["is_tax_subject"]
    if body.get("locale") is not None:
        if body["locale"] not in LOCALES:
            errors["locale"] = ("invalid_enum_value", f"One of: {', '.join(LOCALES)}.")
        else:
            clean["locale"] = body["locale"]
    if body.get("settings") is not None:
        if not isinstance(body["settings"], dict):
            errors["settings"] = ("invalid_type", "Expected object.")
        elif not isinstance(body["settings"].get("primary_color", ""), str):
            errors["settings.primary_color"] = ("invalid_type", "Expected string.")
        else:
            clean["settings"] = body["settings"]
    if body.get("metadata") is not None:
        meta = body["metadata"]
        if not isinstance(meta, dict) or len(meta) > 50:
            errors["metadata"] = ("too_big", "An object with at most 50 keys.")
        elif any(not isinstance(v, str) or len(v) > 250 for v in meta.values()):
            errors["metadata"] = ("too_big", "Values are strings of at most 250 characters.")
        else:
            clean["metadata"] = meta


def _validate(body: dict, *, creating: bool) -> dict:
    errors: dict = {}
    clean: dict = {}
    allowed = set(TEXT_LIMITS) | set(OTHER) | (set() if creating else {"is_enabled"})
    for unknown in sorted(set(body) - allowed):
        errors[unknown] = ("unrecognized_keys", "Unrecognized key.")
    if not creating:
        for fixed in FIXED:
            if fixed in body:
                errors[fixed] = ("custom", "This field cannot be changed.")
    for name in TEXT_LIMITS:
        if name in errors:
            continue
        if name in REQUIRED and (creating or name in body):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                errors[name] = ("invalid_type", "Required.")
                continue
        if not creating and name in body and body[name] is None:
            clean[name] = None  # a PATCH clears an optional field with null
            continue
        value = _check_text(name, body.get(name), errors)
        if value is not None:
            clean[name] = value.strip() if name in REQUIRED else value
    _check_other(body, errors, clean)
    if not creating and body.get("is_enabled") is not None:
        if not isinstance(body["is_enabled"], bool):
            errors["is_enabled"] = ("invalid_type", "Expected boolean.")
        else:
            clean["is_enabled"] = body["is_enabled"]
    if errors:
        raise invalid(errors)
    return clean


def render(row) -> dict:
    """Exactly the documented entity fields: unset ones are null, nothing extra."""
    data = json.loads(row["data"])
    return {
        "id": row["id"],
        **{name: data.get(name) for name in RENDERED},
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
    environment = clean.pop("environment", None) or body.get("environment") or call.environment
    if environment != call.environment:
        # Live and sandbox never cross [doc]: the key decides.
        raise invalid({"environment": f"Must be {call.environment!r} for this API key."})
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
        raise invalid({"environment": "Must be live or sandbox."})
    rows = store.all(
        "SELECT * FROM entities WHERE account_id = ? AND environment = ?",
        call.account["id"],
        environment if environment == call.environment else "",
    )
    return 200, paginate(call, [render(r) for r in rows])


@route("GET", "/entities/(ent_[A-Za-z0-9]+)", "account")
def entity_get(store: Store, call: Call):
    return 200, render(_own_entity(store, call))


@route("PATCH", "/entities/(ent_[A-Za-z0-9]+)", "account")
def entity_update(store: Store, call: Call):
    row = _own_entity(store, call)
    changes = _validate(require_dict(call.body), creating=False)
    enabled = changes.pop("is_enabled", None)
    data = json.loads(row["data"]) | changes
    store.run(
        "UPDATE entities SET data = ?, updated_at = ? WHERE id = ?",
        dumps(data),
        iso(now()),
        row["id"],
    )
    if enabled is not None:
        store.run("UPDATE entities SET is_enabled = ? WHERE id = ?", int(enabled), row["id"])
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
