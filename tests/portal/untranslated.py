"""A pseudo-language for the untranslated-string guard: every catalogued string comes back
wrapped in ⟦ ⟧, so whatever a page or an email shows outside the brackets was never marked
for translation (or the catalogues were not updated with makemessages since)."""

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from portal.catalogues import catalogue_paths, catalogue_read

PSEUDO = "qps"  # a code no real language uses (as Windows' pseudo-locales)
OPEN, CLOSE = "⟦", "⟧"


def pseudo_catalogue_write(directory: Path) -> Path:
    """A compiled catalogue for PSEUDO in ``directory`` (a LOCALE_PATHS entry), made from
    the shipped catalogues' own entries."""
    shipped = catalogue_read(catalogue_paths()["sl"])
    pseudo = Catalog(locale="en", fuzzy=False)
    for message in shipped:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            string = tuple(OPEN + form + CLOSE for form in message.id)
        else:
            string = OPEN + message.id + CLOSE
        pseudo.add(message.id, string, context=message.context)
    target = directory / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "django.mo").open("wb") as mo:
        write_mo(mo, pseudo)
    return directory


class _VisibleText(HTMLParser):
    """What a reader sees or hears: text outside script and style, and the attributes a
    browser shows or reads aloud."""

    SPOKEN = ("aria-label", "title", "alt", "placeholder")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        attributes = dict(attrs)
        self.parts += [attributes[a] for a in self.SPOKEN if attributes.get(a)]
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


# A word: letters, with apostrophes (straight or typographic, U+2019) and hyphens inside.
WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_BRACKETED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_DATA = re.compile(
    r"[\w.+-]+@[\w.-]+"  # an email address
    r"|https?://\S+"  # a link
    r"|[\d.,:/\-]+"  # numbers, amounts, dates and times in figures
)


def unmarked_words(text: str, *, allowed: set[str]) -> list[str]:
    """Words outside the pseudo-language's brackets that are not data on the page."""
    while True:  # innermost first: a translated string may hold translated values
        text, found = _BRACKETED.subn(" ", text)
        if not found:
            break
    text = _DATA.sub(" ", text)
    words = WORD.findall(text)
    return [w for w in words if w not in allowed]
