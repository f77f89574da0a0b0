"""Reading an import file: rows numbered as a spreadsheet numbers them, the header read as
a spreadsheet or an editor writes it, and every unreadable row or header said plainly."""

import pytest

from tenants.importing import import_check

pytestmark = pytest.mark.django_db
HEADER = "name,slug,country\n"


def check(tmp_path, text: str | bytes):
    path = tmp_path / "customers.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return import_check(path)


def test_blank_rows_count_in_the_numbers_and_empty_rows_are_skipped(tmp_path):
    summary = check(tmp_path, HEADER + "\n,,\nGood,good,si\n\n,bad,si\n")
    assert (summary.rows, summary.new, summary.invalid) == (2, 1, 1)
    assert summary.errors == ["row 6, column name: This field is required."]


def test_a_file_separated_by_semicolons_is_read_as_a_spreadsheet_saved_it(tmp_path):
    text = 'name;slug;country;members\nAcme;acme;si;"ana@acme.example:admin;bo@acme.example"\n'
    summary = check(tmp_path, text)
    assert (summary.new, summary.error_count) == (1, 0)


def test_an_invisible_character_before_a_name_is_no_other_name(tmp_path):
    summary = check(tmp_path, "\u200bname,slug,country\nAcme,acme,si\n")
    assert (summary.new, summary.error_count) == (1, 0)


def test_a_utf16_file_without_its_mark_is_said_so(tmp_path):
    summary = check(tmp_path, (HEADER + "Acme,acme,si\n").encode("utf-16-le"))
    assert summary.errors == [
        "the header holds NUL bytes (UTF-16?): save the file as “CSV UTF-8” and try again"
    ]


def test_a_quote_left_open_and_a_cell_past_the_limit_are_named_by_row(tmp_path):
    summary = check(tmp_path, HEADER + 'Acme,acme,si\n"Open,open,si\nLater,later,si\n')
    assert summary.errors == [
        "row 3: fewer cells than the header (a value with a comma needs quotes; a quote left "
        "open takes in the rows after it)"
    ]
    summary = check(tmp_path, HEADER + "Acme,acme,si\n" + "x" * 200_000 + ",big,si\n")
    assert summary.errors == ["row 3: field larger than field limit (131072)"]


def test_a_header_of_thousands_of_columns_is_refused_briefly(tmp_path):
    extra = ",".join(f"extra{n}" for n in range(60_000))
    summary = check(tmp_path, f"name,slug,country,{extra},name\nAcme,acme,si\n")
    [error] = summary.errors
    assert error.startswith("unknown column(s): extra0, extra1, extra10, extra100,")
    assert "and 59990 more; column(s) named twice: name" in error and len(error) < 300


def test_a_first_row_left_empty_is_said_so(tmp_path):
    summary = check(tmp_path, "\n" + HEADER + "Acme,acme,si\n")
    assert summary.errors == [
        "the first row is empty: the header (name, slug, country…) comes first"
    ]
