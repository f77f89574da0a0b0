"""``{% money amount currency %}``: an amount in the page's language (see portal.money)."""

from django import template

from portal.money import money_format

register = template.Library()


@register.simple_tag
def money(amount, currency):
    return money_format(amount=amount, currency=currency)
