"""The translation catalogues (locale/<code>/LC_MESSAGES/django.po): compiled with Babel, so
that no system gettext is needed, and checked before they ship."""

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings

# Translations that may equal their English text: brand and product names, codes, and
# words the languages share.
SAME_AS_ENGLISH = frozenset(
    {
        "Code",  # de
        "Status",  # de
        "Password",  # it: the usual word in Italian business software
        "Home",  # it: likewise (the admin's breadcrumbs)
    }
)


def catalogue_paths() -> dict[str, Path]:
    """language code → its .po file, for every language shipped but English (the source)."""
    root = Path(settings.LOCALE_PATHS[0])
    return {
        code: root / code / "LC_MESSAGES" / "django.po"
        for code in settings.SHIPPED_LANGUAGES
        if code != "en"
    }


def catalogue_read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def catalogue_compile(path: Path) -> bytes:
    """The .mo for a .po, as Babel writes it (fuzzy entries left out, as msgfmt does)."""
    out = io.BytesIO()
    write_mo(out, catalogue_read(path), use_fuzzy=False)
    return out.getvalue()


def catalogue_problems(path: Path) -> list[str]:
    """What keeps a catalogue from shipping: an entry that is empty, fuzzy, the same as its
    English (outside SAME_AS_ENGLISH), or whose placeholders differ from the English."""
    problems = []
    catalogue = catalogue_read(path)
    for message in catalogue:
        if not message.id:
            continue
        name = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.fuzzy:
            problems.append(f"fuzzy: {name!r}")
        if not all(strings):
            problems.append(f"untranslated: {name!r}")
        elif any(s == i for s in strings for i in ids) and name not in SAME_AS_ENGLISH:
            problems.append(f"same as the English: {name!r}")
        for error in message.check(catalogue):
            problems.append(f"{error}: {name!r}")
    return problems
