"""Lists as documented: ``query`` filters, ``order_by``, and cursor pagination."""

import json
from typing import Any

from .api import ApiError, Call, invalid


def _dig(item: dict, path: str) -> Any:
    """``metadata.portal_customer`` reaches into JSON fields; a missing step is None."""
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _comparable(a, b) -> bool:
    """Numbers with numbers, text with text (ISO dates compare as text); nothing else."""
    numbers = isinstance(a, int | float) and isinstance(b, int | float)
    return numbers or (isinstance(a, str) and isinstance(b, str))


def _text(a, b, test) -> bool:
    if not isinstance(b, str):
        raise ApiError(400, "invalid_query", "contains, startsWith and endsWith take text.")
    return isinstance(a, str) and test(a.lower(), b.lower())


def _between(a, b) -> bool:
    if not isinstance(b, list) or len(b) != 2:
        raise ApiError(400, "invalid_query", "between takes a list of two values.")
    return _comparable(a, b[0]) and _comparable(a, b[1]) and b[0] <= a <= b[1]


def _in(a, b) -> bool:
    if not isinstance(b, list):
        raise ApiError(400, "invalid_query", "in and notIn take a list.")
    return a in b


OPERATORS = {
    "equals": lambda a, b: a == b,
    "not": lambda a, b: a != b,
    "gt": lambda a, b: _comparable(a, b) and a > b,
    "gte": lambda a, b: _comparable(a, b) and a >= b,
    "lt": lambda a, b: _comparable(a, b) and a < b,
    "lte": lambda a, b: _comparable(a, b) and a <= b,
    "in": _in,
    "notIn": lambda a, b: not _in(a, b),
    "contains": lambda a, b: _text(a, b, lambda x, y: y in x),
    "startsWith": lambda a, b: _text(a, b, str.startswith),
    "endsWith": lambda a, b: _text(a, b, str.endswith),
    "between": _between,
}


def parse_query(call: Call) -> dict:
    raw = call.params.get("query")
    if not raw:
        return {}
    try:
        query = json.loads(raw)
    except ValueError:
        query = None
    if not isinstance(query, dict):
        raise ApiError(400, "invalid_query", "query must be a JSON object.")
    return query


def matches(item: dict, query: dict) -> bool:
    for path, condition in query.items():
        value = _dig(item, path)
        # A bare value means equals [doc].
        ops = condition if isinstance(condition, dict) else {"equals": condition}
        for op, operand in ops.items():
            if op not in OPERATORS:
                raise ApiError(400, "invalid_query", f"Unknown operator {op!r}.")
            if not OPERATORS[op](value, operand):
                return False
    return True


def _sort_key(field: str):
    def key(item: dict):
        value = _dig(item, field)
        if isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True)  # objects order by their JSON
        # None sorts first; values of one type compare among themselves.
        return (value is not None, str(type(value)), value if value is not None else 0)

    return key


def paginate(call: Call, items: list[dict]) -> dict:
    """One page of ``items`` after ``query`` and ``order_by`` (default ``id`` ascending);
    cursors are item ids."""
    try:
        limit = int(call.params.get("limit", "10"))
    except ValueError:
        raise invalid({"limit": ("invalid_type", "Expected an integer.")}) from None
    if not 1 <= limit <= 100:
        code = "too_small" if limit < 1 else "too_big"
        raise invalid({"limit": (code, "Must be an integer from 1 to 100.")})
    with_total = call.params.get("include_total_count", "true").lower() != "false"
    after, before = call.params.get("next_cursor"), call.params.get("prev_cursor")
    if after and before:
        raise ApiError(400, "invalid_cursor", "Send next_cursor or prev_cursor, not both.")
    query = parse_query(call)
    order = call.params.get("order_by") or "id"
    field, descending = order.lstrip("-"), order.startswith("-")
    chosen = sorted(
        (i for i in items if matches(i, query)), key=_sort_key(field), reverse=descending
    )
    ids = [i["id"] for i in chosen]
    cursor = after or before
    if cursor and cursor not in ids:
        raise ApiError(400, "invalid_cursor", "Unknown cursor.")
    if before:
        end = ids.index(before)
        start = max(0, end - limit)
        page, has_more = chosen[start:end], True
    else:
        start = ids.index(after) + 1 if after else 0
        page = chosen[start : start + limit]
        has_more = start + limit < len(chosen)
    return {
        "data": page,
        "pagination": {
            "total": len(chosen) if with_total else -1,
            "next_cursor": page[-1]["id"] if page and has_more else None,
            "prev_cursor": page[0]["id"] if page and start > 0 else None,
            "has_more": has_more,
        },
    }
