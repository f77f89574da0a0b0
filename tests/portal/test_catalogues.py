"""The shipped translations: complete, checked, and compiled from exactly their .po files."""

import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from portal.catalogues import catalogue_compile, catalogue_paths, catalogue_problems
from spaceinvoices import contract

SHIPPED = sorted(catalogue_paths())


def test_four_languages_ship_besides_english():
    assert SHIPPED == ["de", "hr", "it", "sl"]
    # Each is a language the invoicing dashboard speaks too (the entity's locale).
    assert set(settings.SHIPPED_LANGUAGES) <= set(contract.LOCALES)


@pytest.mark.parametrize("code", SHIPPED)
def test_a_catalogue_has_no_empty_fuzzy_or_untranslated_entry(code):
    assert catalogue_problems(catalogue_paths()[code]) == []


@pytest.mark.parametrize("code", SHIPPED)
def test_the_compiled_catalogue_matches_its_source(code):
    po = catalogue_paths()[code]
    assert po.with_suffix(".mo").read_bytes() == catalogue_compile(po), (
        f"locale/{code}: run `python manage.py compile_catalogues`"
    )


BROKEN = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Save"
msgstr ""

#, fuzzy
msgid "Log in"
msgstr "Anmelden"

msgid "Your team"
msgstr "Your team"

#, python-format
msgid "Remove %(email)s"
msgstr "%(mail)s entfernen"

msgid "Password"
msgstr "Password"
"""


def test_the_check_names_each_kind_of_problem(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(BROKEN)
    problems = catalogue_problems(po)
    assert "untranslated: 'Save'" in problems
    assert "fuzzy: 'Log in'" in problems
    assert "same as the English: 'Your team'" in problems
    assert any("Remove %(email)s" in p and "placeholder" in p for p in problems), problems
    # A word the languages share may stay as it is (the allowlist).
    assert not any("'Password'" in p for p in problems)
    assert len(problems) == 4


@pytest.fixture
def locale_copy(settings, tmp_path):
    shutil.copytree(settings.LOCALE_PATHS[0], tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    return tmp_path / "locale"


def test_the_command_fails_on_a_stale_compiled_catalogue_and_mends_it(locale_copy):
    call_command("compile_catalogues", "--check")  # as shipped: in step
    po = locale_copy / "de" / "LC_MESSAGES" / "django.po"
    po.write_text(po.read_text().replace('msgstr "Speichern"', 'msgstr "Sichern"'))
    with pytest.raises(CommandError, match=r"de: .*django.mo does not match"):
        call_command("compile_catalogues", "--check")
    call_command("compile_catalogues")
    call_command("compile_catalogues", "--check")


def test_the_command_refuses_to_compile_a_broken_catalogue(locale_copy):
    po = locale_copy / "it" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo").read_bytes()
    po.write_text(po.read_text().replace('msgstr "Salva"', 'msgstr ""'))
    with pytest.raises(CommandError, match="it: untranslated: 'Save'"):
        call_command("compile_catalogues")
    assert po.with_suffix(".mo").read_bytes() == mo  # nothing half-written
