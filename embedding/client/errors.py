"""Typed failures of the Space Invoices client; no message or repr ever holds a secret."""

from portal.redaction import redact


class SpaceInvoicesError(Exception):
    """Base of every client failure. ``status`` and ``code`` come from the upstream answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        details: dict | None = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details = {redact(k): [redact(m) for m in v] for k, v in (details or {}).items()}
        super().__init__(self.message)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )

    def __str__(self) -> str:
        prefix = f"[{self.status} {self.code}] " if self.status else ""
        return prefix + self.message


class Unavailable(SpaceInvoicesError):
    """Space Invoices could not be reached, timed out, or answered 5xx after retries."""


class MalformedResponse(Unavailable):
    """An answer that is not the JSON the contract promises (bad JSON, missing field)."""


class Unauthorized(SpaceInvoicesError):
    """401: the credential is unknown, deleted or expired."""


class Forbidden(SpaceInvoicesError):
    """403: the credential may not do this (role too low, entity disabled, wrong key kind)."""


class NotFound(SpaceInvoicesError):
    """404: unknown, or outside the credential's scope (the API never says which)."""


class Conflict(SpaceInvoicesError):
    """409: e.g. the same email twice on one entity, or an invitation still pending."""


class InvalidRequest(SpaceInvoicesError):
    """400/422: the request was refused as bad input; ``details`` maps fields to messages."""


class IdempotencyKeyReused(InvalidRequest):
    """422 idempotency_key_reused: one X-Request-Id sent with another method, path or body."""


class RateLimited(SpaceInvoicesError):
    """429 after the client's own retries; ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
