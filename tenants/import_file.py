"""An import file read: its header checked, then its rows one by one, each as a dict of
its cells or as what is wrong with it (shape, encoding); never the whole file at once."""

import csv
from collections import Counter
from collections.abc import Iterator
from itertools import chain
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


def _listed(names, most: int = 10) -> str:
    """Some names, each cut short: a header of thousands must not make a page of them."""
    shown = [name if len(name) <= 40 else name[:40] + "…" for name in sorted(names)[:most]]
    more = len(names) - most
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _header_problems(names: list[str]) -> list[str]:
    header, counts = set(names), Counter(names)
    missing, unknown = REQUIRED_COLUMNS - header, header - set(COLUMNS) - {""}
    twice = [name for name, count in counts.items() if count > 1 and name]
    problems = [f"missing column(s): {_listed(missing)}"] if missing else []
    if unknown:
        problems.append(f"unknown column(s): {_listed(unknown)}")
    if twice:  # the last would win, silently
        problems.append(f"column(s) named twice: {_listed(twice)}")
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
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # around a name, as some editors leave them


def _column_name(raw: str) -> str:
    """ "Name", " slug " or a name with an invisible character before it, as a spreadsheet
    or an editor may write them: the columns are named alike."""
    return raw.strip().strip(INVISIBLE).strip().lower()


def _header_read(reader) -> list[str]:
    """The column names ([] for an empty file: it has no rows to tell of)."""
    raw = next(reader, None)
    if raw is None:
        return []
    if not raw:
        raise ValueError("the first row is empty: the header (name, slug, country…) comes first")
    if _not_utf8(raw):
        raise ValueError(f"the header is not UTF-8: {SAVE_AS_UTF8}")
    if "\x00" in "".join(raw):
        raise ValueError(f"the header holds NUL bytes (UTF-16?): {SAVE_AS_UTF8}")
    names = [_column_name(name) for name in raw]
    if problems := _header_problems(names):
        raise ValueError("; ".join(problems))
    return names


def _shape_problem(cells: list[str], width: int) -> str:
    if len(cells) > width:
        return "more cells than the header (quote a value with a comma)"
    return (
        "fewer cells than the header (a value with a comma needs quotes; a quote left open "
        "takes in the rows after it)"
    )


def rows_read(path: Path) -> Iterator[tuple[int, dict]]:
    """(row number as a spreadsheet numbers it, its cells by column), a row at a time; a
    row that cannot be read as the header says holds CELLS, what is wrong with it."""
    # Bytes that are not UTF-8 are kept aside (as lone surrogates) rather than stopping the
    # read, so the rows they are in are named: a position in the file helps nobody.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        first = handle.readline()
        # A spreadsheet in Slovenian, German, Croatian or Italian saves "CSV" with ";".
        delimiter = ";" if ";" in first and "," not in first else ","
        reader = csv.reader(chain([first], handle), delimiter=delimiter)
        names = _header_read(reader)
        number = 1
        while True:
            number += 1  # blank rows too: the numbers are the spreadsheet's
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a cell past the csv module's limit, say
                raise ValueError(f"row {number}: {exc}") from None
            if not any(cell.strip() for cell in cells):
                continue  # an empty row, or only its commas
            if len(cells) != len(names):
                # Values under the wrong columns: refused, never read as they fall.
                yield number, {CELLS: _shape_problem(cells, len(names))}
            elif problem := _not_utf8(cells):
                yield number, {CELLS: problem}  # its values are never echoed
            else:
                data = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
                if "is_tax_subject" in data:
                    data["is_tax_subject"] = data["is_tax_subject"].lower()  # Yes, TRUE, …
                yield number, data


def read_problem(exc: Exception) -> str:
    # Said without the path: in the admin it is the upload's stored copy, not its name.
    if isinstance(exc, OSError):
        return f"cannot read the file: {exc.strerror or exc}"
    return str(exc) if isinstance(exc, ValueError) else f"cannot read the file: {exc}"
