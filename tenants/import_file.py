"""An import file read: its header checked, then its rows one by one, each as a dict of
its cells or as what is wrong with it (shape, encoding); never the whole file at once."""

import csv
from collections.abc import Iterator
from pathlib import Path

COLUMNS = [
    "name",
    "slug",
    "country",
    "address",
    "city",
    "post_code",
    "tax_number",
    "is_tax_subject",
    "access_mode",
    "members",
]
REQUIRED_COLUMNS = {"name", "slug", "country"}
CELLS = "__cells__"  # what is wrong with a row that cannot be read, in place of its data


def _header_problems(names: list[str]) -> list[str]:
    header = set(names)
    missing, unknown = REQUIRED_COLUMNS - header, header - set(COLUMNS) - {""}
    twice = sorted({name for name in names if names.count(name) > 1 and name})
    problems = [f"missing column(s): {', '.join(sorted(missing))}"] if missing else []
    if unknown:
        problems.append(f"unknown column(s): {', '.join(sorted(unknown))}")
    if twice:  # the last would win, silently
        problems.append(f"column(s) named twice: {', '.join(twice)}")
    if "" in header:
        problems.append("a column without a name (a comma at the end of the header?)")
    return problems


def _not_utf8(values) -> str:
    """'' when every value came as UTF-8, else what the row is told."""
    text = "".join(values)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a byte the decoder kept aside as a lone surrogate
        byte = ord(text[exc.start]) - 0xDC00
        return f"not UTF-8 (byte 0x{byte:02x}): {SAVE_AS_UTF8}"
    return ""


SAVE_AS_UTF8 = "save the file as “CSV UTF-8” and try again"


def rows_read(path: Path) -> Iterator[tuple[int, dict]]:
    # Bytes that are not UTF-8 are kept aside (as lone surrogates) rather than stopping the
    # read, so the rows they are in are named: a position in the file helps nobody.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        names = list(reader.fieldnames or [])
        if _not_utf8(names):
            raise ValueError(f"the header is not UTF-8: {SAVE_AS_UTF8}")
        # "Name" or " slug " as a spreadsheet may write them: the columns are named alike.
        reader.fieldnames = names = [name.strip().lower() for name in names]
        if problems := _header_problems(names):
            raise ValueError("; ".join(problems))
        for number, raw in enumerate(reader, start=2):
            # A row with more or fewer cells than the header (an unquoted comma, say) would
            # put values under the wrong columns: refused, never read as it falls.
            if None in raw or None in raw.values():
                shape = "more" if None in raw else "fewer"
                yield (
                    number,
                    {CELLS: f"{shape} cells than the header (quote a value with a comma)"},
                )
                continue
            if problem := _not_utf8(raw.values()):
                yield number, {CELLS: problem}  # its values are never echoed
                continue
            data = {k: (v or "").strip() for k, v in raw.items() if k}
            if "is_tax_subject" in data:
                data["is_tax_subject"] = data["is_tax_subject"].lower()  # Yes, TRUE, …
            yield number, data


def read_problem(exc: Exception) -> str:
    # Said without the path: in the admin it is the upload's stored copy, not its name.
    if isinstance(exc, UnicodeError):
        return f"the file cannot be read as text: {SAVE_AS_UTF8}"
    if isinstance(exc, OSError):
        return f"cannot read the file: {exc.strerror or exc}"
    return str(exc) if isinstance(exc, ValueError) else f"cannot read the file: {exc}"
