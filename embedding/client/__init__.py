"""The Space Invoices client: the only code that knows its paths, headers and JSON."""

from .api import SpaceInvoicesClient
from .contract import ROLES, key_environment, key_prefix_hint
from .errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    RateLimited,
    SpaceInvoicesError,
    Unauthorized,
    Unavailable,
)
from .transport import RetryPolicy, Transport, new_session
from .types import ApiKeyInfo, CreatedApiKey, Entity, EntityUser, Invitation, LaunchToken, Page

__all__ = [
    "ROLES",
    "ApiKeyInfo",
    "Conflict",
    "CreatedApiKey",
    "Entity",
    "EntityUser",
    "Forbidden",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "Invitation",
    "LaunchToken",
    "MalformedResponse",
    "NotFound",
    "Page",
    "RateLimited",
    "RetryPolicy",
    "SpaceInvoicesClient",
    "SpaceInvoicesError",
    "Transport",
    "Unauthorized",
    "Unavailable",
    "key_environment",
    "key_prefix_hint",
    "new_session",
]
