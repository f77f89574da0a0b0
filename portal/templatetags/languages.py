"""``{% languages_offered as LANGUAGES %}``: the languages the partner offers, each in its
own name (Django's ``get_available_languages`` would translate "English" into the page's
language, and a switcher names each language as its speakers do)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def languages_offered() -> list[tuple[str, str]]:
    return [(code, settings.SHIPPED_LANGUAGES.get(code, name)) for code, name in settings.LANGUAGES]
