"""Countries as Space Invoices takes them: an English name or a two-letter code (CLDR)."""

import re
import unicodedata
from functools import lru_cache

from babel import Locale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# CLDR territories that are no country an entity is in: groupings, reserved and private-use
# codes, and the "unknown region".
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
# The name stored and sent where CLDR's is a display form ("Congo - Kinshasa", "Hong Kong
# SAR China", "Myanmar (Burma)"); "&" and "St." are spelt out for every name.
_NAMES = {
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "HK": "Hong Kong",
    "MM": "Myanmar",
    "MO": "Macao",
    "PS": "Palestine",
    "UM": "United States Minor Outlying Islands",
    "VC": "Saint Vincent and the Grenadines",
    "VI": "United States Virgin Islands",
}
# Other names people write (older, longer or shorter ones).
_ALSO = {
    "BA": ["Bosnia"],
    "CD": ["DR Congo", "DRC", "Congo - Kinshasa", "Congo-Kinshasa"],
    "CG": ["Congo - Brazzaville", "Congo-Brazzaville"],  # "Congo" alone names neither
    "CI": ["Ivory Coast"],
    "CV": ["Cabo Verde"],
    "CZ": ["Czech Republic"],
    "GB": ["UK", "Great Britain", "Britain"],
    "KR": ["Republic of Korea", "Korea, Republic of"],
    "MD": ["Republic of Moldova"],
    "MK": ["Macedonia"],
    "MM": ["Burma"],
    "MO": ["Macau"],
    "NL": ["Holland", "The Netherlands"],
    "RU": ["Russian Federation"],
    "SZ": ["Swaziland"],
    "TL": ["East Timor"],
    "TR": ["Turkey"],
    "US": ["USA", "U.S.", "U.S.A.", "United States of America"],
    "VA": ["Vatican", "Holy See"],
    "VN": ["Viet Nam"],
}


def _key(value: str) -> str:
    """One spelling to compare by: no accents, one kind of apostrophe, "and", "Saint"."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub("[\u2018\u2019`\u00b4]", "'", text).replace("&", " and ")
    text = re.sub(r"\bSt\.?(?=\s)", "Saint", text)
    return " ".join(text.split()).casefold()


def _spelt_out(name: str) -> str:
    return re.sub(r"\bSt\. ", "Saint ", name.replace(" & ", " and ")).replace("\u2019", "'")


@lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[str, str]]:
    """Compared spelling of a name or code → (code, the English name stored)."""
    found = {}
    for code, display in Locale("en").territories.items():
        if len(code) != 2 or not code.isalpha() or code in _NOT_COUNTRIES:
            continue
        name = _NAMES.get(code) or _spelt_out(display)
        for spelling in (code, display, name, *_ALSO.get(code, [])):
            found.setdefault(_key(spelling), (code, name))
    return found


def country_find(value: str) -> tuple[str, str] | None:
    """``(code, English name)`` of the country ``value`` names (``"si"``, ``"slovenia"``,
    ``"Cote d'Ivoire"``), or None when it names none."""
    return _countries().get(_key(value))


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
