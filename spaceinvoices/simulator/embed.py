"""The embed page: accepts a launch token once and shows whose dashboard it opened."""

import json
from html import escape

from .store import Store, iso, now, parse_iso

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem">
<h1 id="title">{title}</h1>
{content}
</body></html>"""


def _page(title: str, content: str) -> bytes:
    return PAGE.format(title=escape(title), content=content).encode()


def _refusal(status: int, reason: str, explanation: str) -> tuple[int, bytes]:
    content = f'<p id="reason" data-reason="{escape(reason)}">{escape(explanation)}</p>'
    return status, _page("Space Invoices: cannot open the dashboard", content)


def embed_open(store: Store, token: str | None) -> tuple[int, bytes]:
    """Status and HTML for ``/embed?token=…``; a token works once, before it expires."""
    if not token:
        return _refusal(401, "missing", "No token was given.")
    with store.transaction():
        if token.startswith("ek_"):
            row = store.one(
                "SELECT k.key AS token, k.entity_id, NULL AS user_id, 'admin' AS role, "
                "k.expires_at, k.used_at, k.deleted FROM api_keys k "
                "WHERE k.key = ? AND k.launch = 1",
                token,
            )
        else:
            row = store.one("SELECT *, 0 AS deleted FROM tokens WHERE token = ?", token)
        if row is None or row["deleted"]:
            return _refusal(401, "unknown", "This token is not known.")
        if row["used_at"]:
            return _refusal(401, "used", "This token was already used. Open invoicing again.")
        if parse_iso(row["expires_at"]) <= now():
            return _refusal(401, "expired", "This token has expired. Open invoicing again.")
        entity = store.one("SELECT * FROM entities WHERE id = ?", row["entity_id"])
        if not entity["is_enabled"]:
            return _refusal(403, "entity_disabled", "This company's invoicing is disabled.")
        table, column = ("api_keys", "key") if token.startswith("ek_") else ("tokens", "token")
        store.run(f"UPDATE {table} SET used_at = ? WHERE {column} = ?", iso(now()), token)
        if row["user_id"]:
            user = store.one("SELECT email FROM users WHERE id = ?", row["user_id"])
            who = f'<dd id="user">{escape(user["email"])}</dd>'
        else:
            who = '<dd id="user">entity API key session</dd>'
    name = json.loads(entity["data"])["name"]
    content = (
        f'<dl><dt>Entity</dt><dd id="entity" data-entity-id="{escape(entity["id"])}">'
        f"{escape(name)}</dd><dt>User</dt>{who}"
        f'<dt>Role</dt><dd id="role">{escape(row["role"])}</dd></dl>'
    )
    return 200, _page(f"Space Invoices dashboard: {name}", content)
