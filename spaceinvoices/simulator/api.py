"""Routing, credentials and entity scoping for the simulated API."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .store import Store, now, parse_iso


class ApiError(Exception):
    """An API refusal, rendered as ``{"code", "message"}``; a validation error adds Zod's
    ``{"cause": {"issues": [{"path", "message", "code"}]}}``, as the real API does."""

    def __init__(self, status: int, code: str, message: str, issues: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.issues = status, code, message, issues

    def body(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.issues:
            body["cause"] = {"issues": self.issues}
        return body


def invalid(errors: dict[str, str | tuple[str, str]]) -> ApiError:
    """422 from ``{"post_code": "message"}`` or ``{"post_code": ("too_big", "message")}``;
    a dotted name becomes a nested path (``settings.primary_color``)."""
    issues = []
    for name, problem in errors.items():
        code, message = problem if isinstance(problem, tuple) else ("custom", problem)
        issues.append({"path": name.split("."), "message": message, "code": code})
    return ApiError(422, "validation_error", "The request has invalid fields.", issues)


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found.")


@dataclass
class Call:
    """One authenticated API request, with the entity it acts on once scoped."""

    method: str
    path: str
    params: dict[str, str]
    body: Any
    account: dict
    key_entity_id: str | None  # set when the credential is an entity key
    entity_header: str | None
    args: tuple = ()
    entity: dict | None = field(default=None)

    @property
    def environment(self) -> str:
        return self.account["environment"]


Handler = Callable[[Store, Call], tuple[int, Any]]
# scope: "account" needs the account key; "entity" resolves x-entity-id; "entity_account"
# resolves it and also needs the account key.
ROUTES: list[tuple[str, re.Pattern, str, Handler]] = []


def route(method: str, pattern: str, scope: str):
    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile(f"^{pattern}$"), scope, handler))
        return handler

    return register


def authenticate(store: Store, authorization: str | None) -> tuple[dict, str | None]:
    """The account behind a Bearer credential, and the entity when it is an entity key."""
    scheme, _, credential = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise ApiError(401, "unauthorized", "Missing or malformed Authorization header.")
    if credential.startswith("sk_"):
        account = store.one("SELECT * FROM accounts WHERE key = ?", credential)
        if account:
            return dict(account), None
    elif credential.startswith("ek_"):
        row = store.one(
            "SELECT k.*, e.account_id FROM api_keys k JOIN entities e ON e.id = k.entity_id "
            "WHERE k.key = ? AND k.deleted = 0",
            credential,
        )
        if row and (row["expires_at"] is None or parse_iso(row["expires_at"]) > now()):
            account = store.one("SELECT * FROM accounts WHERE id = ?", row["account_id"])
            return dict(account), row["entity_id"]
    raise ApiError(401, "unauthorized", "Invalid API key.")


def scope_entity(store: Store, call: Call, *, account_key_only: bool) -> dict:
    """The entity a call acts on, chosen by ``x-entity-id``; out of scope is 404 [chosen]."""
    if account_key_only and call.key_entity_id:
        raise ApiError(403, "forbidden", "This call needs the account key.")
    wanted = call.entity_header or call.key_entity_id
    if wanted is None:
        rows = store.all(
            "SELECT * FROM entities WHERE account_id = ? AND environment = ? LIMIT 2",
            call.account["id"],
            call.environment,
        )
        if len(rows) != 1:
            raise ApiError(400, "entity_id_required", "Send the x-entity-id header.")
        entity = rows[0]
    else:
        entity = store.one(
            "SELECT * FROM entities WHERE id = ? AND account_id = ? AND environment = ?",
            wanted,
            call.account["id"],
            call.environment,
        )
        if entity is None or (call.key_entity_id and call.key_entity_id != wanted):
            raise not_found("Entity")
    # Keys and tokens of a disabled entity stop working; the account key may still manage it.
    if not entity["is_enabled"] and call.key_entity_id:
        raise ApiError(403, "entity_disabled", "This entity is disabled.")
    return dict(entity)


def dispatch(store: Store, call: Call) -> tuple[int, Any]:
    path_matched = False
    for method, pattern, scope, handler in ROUTES:
        match = pattern.match(call.path)
        if not match:
            continue
        path_matched = True
        if method != call.method:
            continue
        call.args = match.groups()
        if scope == "account" and call.key_entity_id:
            raise ApiError(403, "forbidden", "This call needs the account key.")
        if scope in ("entity", "entity_account"):
            call.entity = scope_entity(store, call, account_key_only=scope == "entity_account")
        return handler(store, call)
    if path_matched:
        raise ApiError(405, "method_not_allowed", "Method not allowed on this path.")
    raise not_found("Route")


def require_dict(body: Any) -> dict:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.")
    return body
