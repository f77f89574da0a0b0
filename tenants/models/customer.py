"""A customer of the partner, mapped onto one Space Invoices entity."""

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from spaceinvoices import contract
from tenants.countries import country_find, country_validate
from tenants.text_rules import one_visible_line


class Environment(models.TextChoices):
    LIVE = "live", "Live"
    SANDBOX = "sandbox", "Sandbox"


class AccessMode(models.TextChoices):
    USER = "user", "User-based"
    API_KEY = "api_key", "Entity API key"


def default_locale() -> str:
    """A new customer's language: the portal's default (a callable, so that migrations do
    not freeze one partner's setting)."""
    return settings.LANGUAGE_CODE


def _upstream_limit(field: str) -> list:
    """Space Invoices' own length limit for an entity field, checked on every form (the
    column may be wider: existing rows are reported by tenants.W002, never truncated),
    and one line of text."""
    return [MaxLengthValidator(contract.ENTITY_FIELD_LIMITS[field]), one_visible_line]


class DetailsState(models.TextChoices):
    IN_STEP = "in_step", "In step"
    PENDING = "pending", "Not sent yet"
    FAILED = "failed", "Update failed"


class ProvisioningState(models.TextChoices):
    PENDING = "pending", "Pending"
    PROVISIONED = "provisioned", "Provisioned"
    FAILED = "failed", "Failed"


class Customer(models.Model):
    # Stable across databases: in every upstream X-Request-Id and the entity's metadata.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=255, validators=_upstream_limit("name"))
    slug = models.SlugField(max_length=80, unique=True)
    address = models.CharField(max_length=255, blank=True, validators=_upstream_limit("address"))
    city = models.CharField(max_length=120, blank=True, validators=_upstream_limit("city"))
    post_code = models.CharField(max_length=32, blank=True, validators=_upstream_limit("post_code"))
    country = models.CharField(
        max_length=120, validators=[*_upstream_limit("country"), country_validate]
    )
    tax_number = models.CharField(
        max_length=64, blank=True, validators=_upstream_limit("tax_number")
    )
    is_tax_subject = models.BooleanField(default=False)
    # The entity's `locale`: the language of its invoicing dashboard, and of the portal's
    # emails to members who have not chosen one. Every shipped language is an embed locale.
    locale = models.CharField(
        "language",
        max_length=8,
        choices=list(settings.SHIPPED_LANGUAGES.items()),
        default=default_locale,
        help_text="Of its invoicing dashboard at Space Invoices, and of our emails to members "
        "who have not chosen a language.",
    )
    environment = models.CharField(
        max_length=16,
        choices=Environment.choices,
        blank=True,
        help_text="Recorded from the account key when the customer is provisioned.",
    )
    access_mode = models.CharField(
        max_length=16,
        choices=AccessMode.choices,
        default=AccessMode.USER,
        help_text="User-based: each member is a Space Invoices user with their role. Entity "
        "API key: no Space Invoices users; launches use the customer's key (see README).",
    )
    entity_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    provisioning_state = models.CharField(
        max_length=16, choices=ProvisioningState.choices, default=ProvisioningState.PENDING
    )
    last_error = models.TextField(blank=True)
    details_state = models.CharField(
        "details at Space Invoices",
        max_length=16,
        choices=DetailsState.choices,
        default=DetailsState.IN_STEP,
        help_text="Whether the entity at Space Invoices has this customer's latest details.",
    )
    details_error = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Inactive customers cannot open invoicing (entity disabled)."
    )
    # Set when Disable blocks launches here, cleared once Space Invoices confirms it (or an
    # Enable): while set, the entity's keys and tokens may still work there.
    disable_unconfirmed_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Disabled here since; Space Invoices has not confirmed the disabling yet.",
    )
    key_rejected_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Space Invoices refused the stored key at this time; rotate or attach one.",
    )
    provisioned_at = models.DateTimeField(null=True, blank=True)
    # Offboarding: started (launches refused from then on), then finished (archived record;
    # Space Invoices never hard-deletes an entity, so neither do we).
    offboarding_started_at = models.DateTimeField(null=True, blank=True)
    offboarded_at = models.DateTimeField("archived at", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # When the drift report last compared this customer with Space Invoices.
    drift_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [models.Index(fields=["provisioning_state"])]
        # Each action that writes to Space Invoices or changes access has its own.
        permissions = [
            ("provision_customer", "Can provision customers at Space Invoices"),
            ("sync_members", "Can sync members with Space Invoices"),
            ("disable_customer", "Can disable and enable customers at Space Invoices"),
            ("change_access_mode", "Can change a customer's access mode"),
            ("update_entity_details", "Can change the details of a provisioned customer's entity"),
            ("offboard_customer", "Can offboard customers (users and keys removed upstream)"),
            ("import_customers", "Can import customers from CSV"),
            ("reconcile_customer", "Can bring Space Invoices back in line with the portal"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # One spelling for each country (its English name), whatever case or code was typed.
        found = country_find(self.country or "")
        if found:
            self.country = found[1]

    @property
    def is_provisioned(self) -> bool:
        return self.provisioning_state == ProvisioningState.PROVISIONED and bool(self.entity_id)

    @property
    def is_offboarding(self) -> bool:
        """Offboarding has started (finished or not): nothing new may be set up for it."""
        return self.offboarding_started_at is not None

    @property
    def uses_entity_users(self) -> bool:
        return self.access_mode == AccessMode.USER
