"""What a customer's text fields may hold: one line of visible text, and a lower-case slug."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy

# Unicode categories never shown as text: controls, format characters (direction marks
# and overrides, zero-width spaces, soft hyphens, tags), line and paragraph separators,
# surrogates, private use and unassigned code points.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Letters and marks that render as nothing (Hangul fillers, the braille blank, the
# grapheme joiner, Khmer's inherent vowels, variation selectors): a name with one reads
# exactly as the name without it.
_BLANK = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
# Zero-width (non-)joiners shape letters in Arabic, Persian and Indic scripts: kept there,
# refused beside a Latin letter or digit, where they only hide.
_JOINERS = frozenset("\u200c\u200d")

# What a character without a Unicode name is, by its category.
_UNNAMED = {"Cc": "CONTROL", "Co": "PRIVATE USE", "Cn": "UNASSIGNED", "Cs": "SURROGATE"}

ONE_LINE_MESSAGE = gettext_lazy(
    "Line breaks, control and invisible characters are not allowed here (found: %(found)s)."
)


def hidden_character(value: str) -> str | None:
    """The first character of ``value`` that one line of visible text may not hold, named
    (``U+200B ZERO WIDTH SPACE``): it cannot be seen, so the message says which it is."""
    for index, char in enumerate(value):
        if char in _JOINERS:
            beside = value[index - 1 : index] + value[index + 1 : index + 2]
            hidden = not beside or any(c.isascii() for c in beside)
        else:
            hidden = char in _BLANK or unicodedata.category(char) in _HIDDEN_CATEGORIES
        if hidden:
            name = unicodedata.name(char, "") or _UNNAMED[unicodedata.category(char)]
            return f"U+{ord(char):04X} {name}"
    return None


def one_visible_line(value: str) -> None:
    """Refuse what would reach Space Invoices' invoices as a second line or a control, or
    make one name read as another in every list."""
    found = hidden_character(value)
    if found:
        raise ValidationError(ONE_LINE_MESSAGE, code="control_character", params={"found": found})


def slug_check(value: str, stored: str | None = None) -> str:
    """A new or changed slug in lower case only (``ACME`` beside ``acme`` would be two
    customers that read as one); a slug saved before this rule stays as it is, since it
    is in the customer's links."""
    if value != stored and value != value.lower():
        raise ValidationError(
            gettext("Use lower-case letters, digits, hyphens and underscores only."),
            code="invalid_slug",
        )
    return value
