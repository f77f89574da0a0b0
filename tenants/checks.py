"""System checks: customers in another environment than the key's, details over the limits,
countries that name none, and text with characters that cannot be seen."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from spaceinvoices.contract import ENTITY_FIELD_LIMITS, key_environment


@register(Tags.database)
def customers_environment_check(app_configs=None, databases=None, **kwargs):
    from tenants.models import Customer

    if not databases:
        return []  # only with `check --database …`: other commands must not query
    environment = key_environment(settings.SPACEINVOICES_API_KEY or "")
    if environment is None:
        return []
    try:
        stray = Customer.objects.exclude(environment="").exclude(environment=environment).count()
    except DatabaseError:
        return []  # not migrated yet
    if not stray:
        return []
    return [
        Warning(
            f"{stray} customer(s) were provisioned in another environment than the "
            f"configured account key's ({environment}); their launches and syncs will fail.",
            hint="Point SPACEINVOICES_API_KEY at the right account, or re-provision them.",
            id="tenants.W001",
        )
    ]


@register(Tags.database)
def customers_field_limits_check(app_configs=None, databases=None, **kwargs):
    """Rows saved before the limits were enforced: reported, never truncated silently."""
    from django.db.models.functions import Length

    from tenants.models import Customer

    if not databases:
        return []
    problems = []
    for field, limit in ENTITY_FIELD_LIMITS.items():
        if not hasattr(Customer, field):
            continue
        try:
            slugs = list(
                Customer.objects.annotate(_length=Length(field))
                .filter(_length__gt=limit)
                .values_list("slug", flat=True)[:5]
            )
        except DatabaseError:
            return []  # not migrated yet
        if slugs:
            problems.append(
                Warning(
                    f"Customer {field} longer than Space Invoices takes ({limit} characters): "
                    f"{', '.join(slugs)}; their provisioning or detail updates will fail.",
                    hint=f"Shorten {field} for those customers in the admin.",
                    id="tenants.W002",
                )
            )
    return problems


@register(Tags.database)
def customers_country_check(app_configs=None, databases=None, **kwargs):
    """Rows saved before countries were checked: one that names none cannot be provisioned
    (the form refuses it), and a provisioned one keeps it for good at Space Invoices."""
    from tenants.countries import country_find
    from tenants.models import Customer

    if not databases:
        return []
    try:
        # Few distinct values, read once each: a check never loads every customer.
        countries = Customer.objects.values_list("country", flat=True).distinct()
        unknown = [c for c in countries if country_find(c) is None]
        slugs = list(
            Customer.objects.filter(country__in=unknown).values_list("slug", flat=True)[:5]
        )
    except DatabaseError:
        return []  # not migrated yet
    if not slugs:
        return []
    return [
        Warning(
            f"Customer country that names no country: {', '.join(slugs)}; Space Invoices "
            "keeps such an entity without a country code.",
            hint="Give an unprovisioned customer its country's English name or code in the "
            "admin; for a provisioned one, ask Space Invoices (a country never changes).",
            id="tenants.W003",
        )
    ]


@register(Tags.database)
def customers_hidden_text_check(app_configs=None, databases=None, **kwargs):
    """Rows saved before the visible-text rule: an edit of such a customer is refused until
    the character (which cannot be seen) is removed, so the check names it."""
    from tenants.models import Customer
    from tenants.text_rules import hidden_character

    if not databases:
        return []
    fields = ["name", "address", "city", "post_code", "country", "tax_number"]
    found = []
    try:
        for slug, *values in Customer.objects.values_list("slug", *fields).iterator():
            hidden = next(
                (
                    f"{f} ({h})"
                    for f, v in zip(fields, values, strict=True)
                    if (h := hidden_character(v))
                ),
                None,
            )
            if hidden:
                found.append(f"{slug}: {hidden}")
                if len(found) == 5:
                    break
    except DatabaseError:
        return []  # not migrated yet
    if not found:
        return []
    return [
        Warning(
            f"Customer text with an invisible or control character: {'; '.join(found)}; "
            "the admin refuses to save those customers until it is removed.",
            hint="Retype the named field for those customers in the admin.",
            id="tenants.W004",
        )
    ]
