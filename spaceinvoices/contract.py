"""The shape of the Space Invoices API: paths, roles, fields, limits, key and id formats.

Every rule the client relies on lives here once. A line marked [chosen] is our assumption
where the public docs are silent, agreed with the simulator; it lives here alone so that the
real value is a one-line change. Unmarked rules are documented (see docs/spaceinvoices-api.md).
"""

import hashlib
import hmac
import json
import re
import uuid
from urllib.parse import quote, urlencode

# Paths ---------------------------------------------------------------------------------
ENTITIES = "/entities"
ENTITY = "/entities/{id}"  # [chosen] PATCH is documented through the SDK
ENTITY_DISABLE = "/entities/{id}/disable"  # [chosen]
ENTITY_ENABLE = "/entities/{id}/enable"  # [chosen]
API_KEYS = "/entities/api-keys"
API_KEY = "/entities/api-keys/{id}"  # the key itself travels in the path
USERS = "/entities/users"
USER = "/entities/users/{id}"  # [chosen] PATCH to change a role, DELETE to remove
USER_TOKEN = "/entities/users/{id}/token"  # [chosen] the guide shows only the SDK call
INVITATIONS = "/entities/invitations"
INVITATION_RESEND = "/entities/invitations/{id}/resend"  # [chosen]
INVOICES = "/invoices"
CUSTOMERS = "/customers"
ITEMS = "/items"
# Entity webhook endpoints [chosen]: the docs show no entity-scoped path; the account
# webhooks' documented shape (POST /account-webhooks) is followed under this path.
WEBHOOKS = "/webhooks"
WEBHOOK = "/webhooks/{id}"
PAYMENTS = "/payments"  # [chosen] recording a payment
INVOICE_VOID = "/invoices/{id}/void"  # [chosen] the official UI calls invoices.void


def path(template: str, ident: str) -> str:
    """A path with an id in it, escaped: an id can never reach another path."""
    return template.format(id=quote(ident, safe=""))


# Headers -------------------------------------------------------------------------------
ENTITY_HEADER = "x-entity-id"
REQUEST_ID_HEADER = "X-Request-Id"
CLIENT_HEADER = "x-spaceinvoices-client"  # [official UI] names our calls in their logs
CLIENT_NAME = "partner-portal"

# Roles, lowest first -------------------------------------------------------------------
ROLES = ("viewer", "editor", "admin")
DEFAULT_ROLE_ON_ADD = "editor"  # what the API assumes when no role is sent


def role_rank(role: str) -> int:
    """0 for viewer up to 2 for admin; ValueError for anything that is not a role."""
    return ROLES.index(role)


# Pagination ----------------------------------------------------------------------------
PAGE_LIMIT_MAX = 100

# Entities ------------------------------------------------------------------------------
# Lengths from the official UI's entity schema; name [chosen].
ENTITY_FIELD_LIMITS = {
    "name": 255,
    "address": 500,
    "address_2": 500,
    "post_code": 20,
    "city": 100,
    "state": 100,
    "country": 100,
    "tax_number": 50,
    "company_number": 50,
    "phone": 50,
    "email": 255,
    "website": 500,
}
ENTITY_TEXT_FIELDS = tuple(ENTITY_FIELD_LIMITS)
ENTITY_OTHER_FIELDS = ("is_tax_subject", "metadata", "country_code", "locale")
# The languages the embedded dashboard speaks, as an entity's `locale` takes them: two-letter
# codes [chosen format; the official UI lists these languages].
LOCALES = ("en", "sl", "de", "it", "fr", "es", "pt", "nl", "pl", "hr")
# What a PATCH may change: everything but the country and the environment.
ENTITY_FIXED_FIELDS = frozenset({"country", "country_code", "environment"})


def entity_payload(**fields) -> dict:
    """The JSON body for creating or updating an entity: known fields only, blanks left out.

    ``TypeError`` for a field the API does not take, so a typo never goes out silently.
    """
    known = set(ENTITY_TEXT_FIELDS) | set(ENTITY_OTHER_FIELDS)
    unknown = set(fields) - known
    if unknown:
        raise TypeError(f"unknown entity fields: {', '.join(sorted(unknown))}")
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def entity_update_payload(**fields) -> dict:
    """Like ``entity_payload``, for a PATCH: a cleared text field is sent as ``null``."""
    fixed = ENTITY_FIXED_FIELDS & set(fields)
    if fixed:
        raise TypeError(f"entity fields that never change: {', '.join(sorted(fixed))}")
    body = entity_payload(**fields)
    for name, value in fields.items():
        if value == "" and name in ENTITY_FIELD_LIMITS and name != "name":
            body[name] = None
    return body


def metadata_query(key: str, value: str) -> dict:
    """The list filter that finds entities whose ``metadata[key]`` equals ``value``."""
    return {f"metadata.{key}": {"equals": value}}


def query_param(query: dict) -> str:
    """Filters travel as URL-encoded JSON in ``query``."""
    return json.dumps(query, separators=(",", ":"))


# Keys and ids --------------------------------------------------------------------------
ENVIRONMENTS = ("live", "sandbox")
# Requests a minute, one budget for everything the portal sends [chosen: an older version of
# the docs gave these numbers; the current docs give none]. SPACEINVOICES_RATE_LIMIT
# overrides them once the real value is known.
RATE_LIMIT_PER_MINUTE = {"live": 600, "sandbox": 60}
ENTITY_KEY = re.compile(r"^ek_(live|sandbox)_[0-9a-f]{32}$")
ACCOUNT_KEY = re.compile(r"^sk_(live|sandbox)_[A-Za-z0-9]+$")
# A short-lived entity key serves as the key-mode launch token [chosen]: its name upstream,
# then when it was made, a nonce and a tag (``launch_key_name``).
LAUNCH_KEY_NAME = "embed launch"
_LAUNCH_KEY_NAME_SHAPE = re.compile(
    re.escape(LAUNCH_KEY_NAME) + r" ([1-9][0-9]{0,11}) ([0-9a-f]{8}) ([0-9a-f]{16})", re.ASCII
)


def launch_key_name(*, entity_id: str, issued_at: int, nonce: str, secret: bytes) -> str:
    """A launch key's name: ``embed launch <unix time> <nonce> <tag>``, the tag an HMAC of the
    entity, the time and the nonce (8 hex digits: two launches in the same second differ)
    under a secret of the portal's own.

    Why: that key is a full entity key, and an entity key may make keys [chosen], so whoever
    holds one may make another and keep access. Its name is theirs to choose and can copy
    any name they see listed, but cannot carry a later time: a key is a launch's own only
    while it ends within a launch's lifetime of the time its name gives."""
    tag = _launch_key_tag(entity_id, issued_at, nonce, secret)
    return f"{LAUNCH_KEY_NAME} {issued_at} {nonce} {tag}"


def launch_key_issued(name: str | None, *, entity_id: str, secret: bytes) -> int | None:
    """When the launch key named ``name`` was made (unix time), or None when that name is
    not, character for character, one ``launch_key_name`` gave for this entity under
    ``secret`` (so that no other spelling of the same time passes for another name)."""
    match = _LAUNCH_KEY_NAME_SHAPE.fullmatch(name or "")
    if match is None:
        return None
    issued, nonce = int(match[1]), match[2]
    made = launch_key_name(entity_id=entity_id, issued_at=issued, nonce=nonce, secret=secret)
    return issued if hmac.compare_digest(made.encode(), (name or "").encode()) else None


def _launch_key_tag(entity_id: str, issued_at: int, nonce: str, secret: bytes) -> str:
    message = f"{entity_id}:{issued_at}:{nonce}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]


def is_entity_key(text: str) -> bool:
    return bool(ENTITY_KEY.match(text))


def is_account_key(text: str) -> bool:
    return bool(ACCOUNT_KEY.match(text))


def key_environment(key: str) -> str | None:
    """``live`` or ``sandbox`` from a key's prefix (``sk_live_…``, ``ek_sandbox_…``)."""
    for env in ENVIRONMENTS:
        if key.startswith((f"sk_{env}_", f"ek_{env}_")):
            return env
    return None


def key_prefix_hint(key: str) -> str:
    """The displayable hint of a key, as the API shows it: ``ek_sandbox_abc...234``."""
    head, _, tail = key.rpartition("_")
    return f"{head}_{tail[:3]}...{tail[-3:]}"


# Request ids ---------------------------------------------------------------------------
# Ours, never the browser's. The API keeps one id's outcome for replay (how long is not
# documented): the same id again replays instead of acting twice.
REQUEST_ID_PREFIX = "portal"


def request_id(*parts: object) -> str:
    """A request id from stable parts (a customer's UUID and a step), for a replay-safe write."""
    return ":".join([REQUEST_ID_PREFIX, *map(str, parts)])


def request_id_new(kind: str) -> str:
    """A request id used once: a write that must act afresh, or a launch."""
    return request_id(kind, uuid.uuid4().hex)


# Webhooks -----------------------------------------------------------------------------
# The events the portal subscribes to: documents as they are made and change state.
WEBHOOK_EVENTS = (
    "invoice.created",
    "invoice.updated",
    "invoice.paid",
    "invoice.overdue",
    "invoice.cancelled",
    "payment.received",
    "estimate.created",
    "credit_note.created",
    "advance_invoice.created",
)
# The last retry comes about 2.5 hours after the event [doc: at once, 1 min, 5 min, 30
# min, 2 h]: a signed timestamp older than this is a replay, not a retry.
WEBHOOK_MAX_AGE_SECONDS = 3 * 3600
WEBHOOK_RETRY_DELAYS = (60, 300, 1800, 7200)  # seconds after each failed attempt [doc]
WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9]+$")


# The embed -----------------------------------------------------------------------------
def embed_url(base: str, token: str) -> str:
    """Where the browser goes: ``<embed URL>?token=<token>`` [guide]."""
    return f"{base}?{urlencode({'token': token})}"


# Errors --------------------------------------------------------------------------------
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
INVITATION_PENDING = "invitation_pending"  # a user token for a user still invited
INVITATION_PENDING_STATUS = "pending"
