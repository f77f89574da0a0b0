"""Countries as Space Invoices takes them: an English name or a two-letter code (CLDR)."""

from functools import lru_cache

from babel import Locale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# CLDR territories that are no country an entity is in: groupings, reserved and private-use
# codes, and the "unknown region".
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[str, str]]:
    """Casefolded name or code → (code, English name)."""
    found = {}
    for code, name in Locale("en").territories.items():
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
            found[name.casefold()] = found[code.casefold()] = (code, name)
    return found


def country_find(value: str) -> tuple[str, str] | None:
    """``(code, English name)`` of the country ``value`` names (``"si"``, ``"slovenia"``),
    or None when it names none."""
    return _countries().get(" ".join(value.split()).casefold())


def country_validate(value: str) -> None:
    """Refuse what names no country: Space Invoices would keep it, with no country code, on
    an entity whose country never changes."""
    if value and country_find(value) is None:
        raise ValidationError(
            gettext(
                "“%(value)s” is not a country: give its English name (Slovenia, Germany) or "
                "its two-letter code (SI, DE)."
            ),
            code="unknown_country",
            params={"value": value[:60]},
        )
