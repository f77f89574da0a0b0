"""Entity API keys: create (with ttl), list masked, delete (account key or the entity's key)."""

from .api import Call, invalid, not_found, require_dict, route
from .store import Store, iso, later, new_key, now, prefix_hint

# A key made with a ttl of at most an hour is a launch token [chosen]: the simulator's stats
# count it among tokens_minted, not api_keys.
LAUNCH_TTL_MAX = 3600


def render(row, *, reveal: bool = False) -> dict:
    return {
        "id": row["key"] if reveal else prefix_hint(row["key"]),
        "entity_id": row["entity_id"],
        "name": row["name"],
        "environment": row["environment"],
        "prefix_hint": prefix_hint(row["key"]),
        "expires_at": row["expires_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


@route("POST", "/entities/api-keys", "entity")
def api_key_create(store: Store, call: Call):
    body = require_dict(call.body)
    errors = {}
    name, ttl = body.get("name"), body.get("ttl")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        errors["name"] = "Must be a string of at most 255 characters."
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 60):
        errors["ttl"] = "Must be an integer number of seconds, at least 60."
    if "environment" in body:
        errors["environment"] = "Not accepted: a key's environment is its entity's."
    if errors:
        raise invalid(errors)
    entity = call.entity
    key = new_key("ek", entity["environment"])
    stamp = iso(now())
    store.run(
        "INSERT INTO api_keys (key, entity_id, name, environment, expires_at, created_at, "
        "updated_at, launch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        key,
        entity["id"],
        name,
        entity["environment"],
        later(ttl) if ttl else None,
        stamp,
        stamp,
        int(ttl is not None and ttl <= LAUNCH_TTL_MAX),
    )
    return 201, render(store.one("SELECT * FROM api_keys WHERE key = ?", key), reveal=True)


@route("GET", "/entities/api-keys", "entity")
def api_keys_list(store: Store, call: Call):
    rows = store.all(
        "SELECT * FROM api_keys WHERE entity_id = ? AND deleted = 0 "
        "AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at",
        call.entity["id"],
        iso(now()),
    )
    return 200, {"data": [render(r) for r in rows]}


@route("DELETE", "/entities/api-keys/([^/]+)", "entity")
def api_key_delete(store: Store, call: Call):
    row = store.one(
        "SELECT * FROM api_keys WHERE key = ? AND entity_id = ? AND deleted = 0",
        call.args[0],
        call.entity["id"],
    )
    if row is None:
        raise not_found("API key")
    store.run(
        "UPDATE api_keys SET deleted = 1, updated_at = ? WHERE key = ?", iso(now()), row["key"]
    )
    return 204, None
