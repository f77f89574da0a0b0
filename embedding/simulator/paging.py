"""Cursor pagination as documented: limit, next_cursor, prev_cursor, include_total_count."""

from .api import ApiError, Call, invalid
from .store import Store


def paginate(store: Store, call: Call, table: str, where: str, args: tuple, render) -> dict:
    """One page of ``table`` rows matching ``where``, in creation order; cursors are ids."""
    try:
        limit = int(call.params.get("limit", "10"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise invalid({"limit": ["Must be an integer from 1 to 100."]})
    with_total = call.params.get("include_total_count", "true").lower() != "false"
    after, before = call.params.get("next_cursor"), call.params.get("prev_cursor")
    if after and before:
        raise ApiError(400, "invalid_cursor", "Send next_cursor or prev_cursor, not both.")
    cursor = after or before
    base = f"SELECT * FROM {table} WHERE {where}"
    seq = None
    if cursor:
        row = store.one(f"{base} AND id = ?", *args, cursor)
        if row is None:
            raise ApiError(400, "invalid_cursor", "Unknown cursor.")
        seq = row["seq"]
    if before:
        rows = store.all(f"{base} AND seq < ? ORDER BY seq DESC LIMIT ?", *args, seq, limit + 1)
        rows.reverse()
        page, has_before = rows[-limit:], len(rows) > limit
        has_more = True  # the cursor's own row comes after this page
    else:
        rows = store.all(f"{base} AND seq > ? ORDER BY seq LIMIT ?", *args, seq or 0, limit + 1)
        page, has_more = rows[:limit], len(rows) > limit
        has_before = bool(page) and bool(store.one(f"{base} AND seq < ?", *args, page[0]["seq"]))
    total = store.one(f"SELECT COUNT(*) FROM {table} WHERE {where}", *args)[0] if with_total else -1
    return {
        "data": [render(r) for r in page],
        "pagination": {
            "total": total,
            "next_cursor": page[-1]["id"] if page and has_more else None,
            "prev_cursor": page[0]["id"] if page and has_before else None,
            "has_more": has_more,
        },
    }
