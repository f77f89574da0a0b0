"""Typed failures of the Space Invoices client; no message or repr ever holds a secret."""

from ..redaction import redact


class SpaceInvoicesError(Exception):
    """Base of every client failure. ``status`` and ``code`` come from the upstream answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        super().__init__(self.message)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )

    def __str__(self) -> str:
        prefix = f"[{self.status} {self.code or 'error'}] " if self.status else ""
        return prefix + self.message


class Unavailable(SpaceInvoicesError):
    """Space Invoices could not be reached, timed out, or answered 5xx after retries."""


class NoAnswer(Unavailable):
    """A request left and no answer came (the connection closed, or the wait ran out): a
    write may have been carried out."""


class MalformedResponse(Unavailable):
    """A 2xx answer without what the call needs (not JSON, a required field missing)."""


class Unauthorized(SpaceInvoicesError):
    """401: the credential is unknown, deleted or expired."""


class Forbidden(SpaceInvoicesError):
    """403: the credential may not do this (role too low, entity disabled, wrong key kind)."""


class NotFound(SpaceInvoicesError):
    """404: unknown, or outside the credential's scope (the API never says which)."""


class Conflict(SpaceInvoicesError):
    """409: e.g. the same email twice on one entity, or an invitation still pending."""


class InvalidRequest(SpaceInvoicesError):
    """400/422: refused as bad input. ``field_errors`` maps a field path (``post_code``,
    ``settings.primary_color``) to its messages, from the answer's ``cause.issues``."""

    def __init__(self, message: str, *, field_errors: dict | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.field_errors = {
            redact(path): [redact(m) for m in messages]
            for path, messages in (field_errors or {}).items()
        }

    def __str__(self) -> str:
        fields = "; ".join(f"{path}: {' '.join(ms)}" for path, ms in self.field_errors.items())
        return super().__str__() + (f" ({fields})" if fields else "")


class IdempotencyKeyReused(InvalidRequest):
    """422 idempotency_key_reused: one X-Request-Id sent with another method, path or body."""


class RateLimited(SpaceInvoicesError):
    """429 after the client's own retries; ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
