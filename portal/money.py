"""Amounts as the reader's language writes them: 1.234,50 € in Slovenian, €1,234.50 in English."""

from decimal import Decimal, InvalidOperation

from babel.core import UnknownLocaleError
from babel.numbers import format_currency
from django.utils.translation import get_language, to_locale


def money_format(*, amount, currency: str, language: str | None = None) -> str:
    """``amount`` in ``currency`` for ``language`` (the active one by default). A currency
    code CLDR does not know is written as it came (CLDR writes it as given); a locale it
    does not know, or an amount that is no number, falls back to "1234.50 XYZ"."""
    currency = (currency or "").strip().upper()
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}".strip()
    if not value.is_finite():
        return f"{amount} {currency}".strip()
    locale = to_locale(language or get_language() or "en")
    try:
        return format_currency(value, currency, locale=locale).strip()
    except (UnknownLocaleError, ValueError, ArithmeticError):
        return f"{value:.2f} {currency}".strip()
