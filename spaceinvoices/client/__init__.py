"""The Space Invoices client: transport, typed answers and typed errors."""

from .api import SpaceInvoicesClient
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
from .transport import RetryPolicy, Transport
from .types import (
    ApiKeyInfo,
    CreatedApiKey,
    CreatedWebhookEndpoint,
    Entity,
    EntityUser,
    Invitation,
    LaunchToken,
    Page,
    WebhookEndpoint,
)

__all__ = [
    "ApiKeyInfo",
    "Conflict",
    "CreatedApiKey",
    "CreatedWebhookEndpoint",
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
    "WebhookEndpoint",
]
