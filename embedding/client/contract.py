"""The shape of the Space Invoices API: paths, roles, entity fields and key formats."""

# Paths. Unmarked ones are in the public docs. Each [chosen] one is our assumption where
# the docs are silent, agreed with the simulator; it lives here alone so that the real
# value is a one-line change.
ENTITIES = "/entities"
ENTITY = "/entities/{id}"  # [chosen] GET presumed; PATCH is documented through the SDK
ENTITY_DISABLE = "/entities/{id}/disable"  # [chosen]
ENTITY_ENABLE = "/entities/{id}/enable"  # [chosen]
API_KEYS = "/entities/api-keys"
API_KEY = "/entities/api-keys/{id}"
USERS = "/entities/users"
USER = "/entities/users/{id}"  # [chosen] PATCH to change a role, DELETE to remove
USER_TOKEN = "/entities/users/{id}/token"  # [chosen] the guide shows only the SDK call
INVITATIONS = "/entities/invitations"
INVITATION = "/entities/invitations/{id}"  # DELETE cancels [chosen]
INVITATION_RESEND = "/entities/invitations/{id}/resend"  # [chosen]
INVOICES = "/invoices"
CUSTOMERS = "/customers"
ITEMS = "/items"

ROLES = ("viewer", "editor", "admin")  # [doc]
ENTITY_FIELDS = frozenset(
    {
        "address",
        "address_2",
        "post_code",
        "city",
        "state",
        "country_code",
        "tax_number",
        "company_number",
        "email",
        "phone",
        "website",
        "is_tax_subject",
        "metadata",
    }
)


def key_environment(key: str) -> str | None:
    """``live`` or ``sandbox`` from a key's prefix (``sk_live_…``, ``ek_sandbox_…``) [doc]."""
    for env in ("live", "sandbox"):
        if key.startswith((f"sk_{env}_", f"ek_{env}_")):
            return env
    return None


def key_prefix_hint(key: str) -> str:
    """The displayable hint of a key, as the API shows it: ``ek_sandbox_abc...234`` [doc]."""
    head, _, tail = key.rpartition("_")
    return f"{head}_{tail[:3]}...{tail[-3:]}"
