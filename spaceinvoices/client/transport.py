"""HTTP for the client: pooled connections, timeouts, retries, request ids, error mapping."""

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import contract
from ..redaction import redact
from . import errors
from .http import ConnectionFailed, ConnectionPool, Response, TimedOut

logger = logging.getLogger("spaceinvoices.client")

# Status codes worth another try: the request may not have been acted on, and a write
# carries its X-Request-Id so that a retry replays instead of acting twice.
RETRY_STATUSES = frozenset({502, 503, 504})
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
REQUEST_ID_HEADER = contract.REQUEST_ID_HEADER

_ERRORS_BY_STATUS = {
    400: errors.InvalidRequest,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    422: errors.InvalidRequest,
}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts after the first, backoff base, and a cap on total waiting."""

    max_retries: int = 2
    backoff: float = 0.2
    max_wait: float = 10.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    request_id: str | None


class Transport:
    """Sends one logical request, retrying it safely; knows nothing of endpoints."""

    def __init__(
        self,
        *,
        base_url: str,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        pool_size: int = 32,
        before_request: Callable[[], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Called before every HTTP request, each retry too; may raise to refuse it (the
        # portal refuses a call made inside a database transaction) or wait (the portal's
        # share of Space Invoices' rate limit).
        self.before_request = before_request
        self.retry = retry or RetryPolicy()
        # Connections are kept per origin; the base URL's path (if any) prefixes each call.
        origin = urlsplit(self.base_url)
        self.prefix = origin.path
        # One pool serves every thread; no proxy or netrc from the environment ever carries
        # our credentials (http.client reads neither).
        self.pool = ConnectionPool(
            f"{origin.scheme}://{origin.netloc}",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            size=pool_size,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        credential: str,
        entity_id: str | None = None,
        json: Any = None,
        params: dict | None = None,
        request_id: str | None = None,
    ) -> Answer:
        retry = self.retry
        headers = {
            "Authorization": f"Bearer {credential}",
            "Accept": "application/json",
            contract.CLIENT_HEADER: contract.CLIENT_NAME,
        }
        if entity_id:
            headers[contract.ENTITY_HEADER] = entity_id
        if method in WRITE_METHODS:
            # One id for every attempt of this write: a retry replays, never acts twice.
            headers[REQUEST_ID_HEADER] = request_id or contract.request_id_new("call")
        url = self.prefix + path
        started = time.monotonic()
        attempt = 0
        unanswered = False  # an attempt of this write left and got no answer
        while True:
            if self.before_request:
                self.before_request()
            failure = self._attempt(method, url, headers, json, params)
            if isinstance(failure, Answer):
                return failure
            unanswered = unanswered or isinstance(failure, errors.NoAnswer)
            waited = time.monotonic() - started
            delay = self._delay(failure, attempt, retry)
            if attempt >= retry.max_retries or waited + delay > retry.max_wait:
                if (
                    unanswered
                    and method in WRITE_METHODS
                    and not isinstance(failure, errors.NoAnswer)
                ):
                    # The last attempt's failure alone would hide that one before it may
                    # have acted (a 503 after a dropped connection, say).
                    failure.message += (
                        "; an earlier attempt got no answer, so it may have been carried out"
                    )
                raise failure
            logger.warning(
                "space invoices %s %s failed (%s); retry %d in %.2fs",
                method,
                redact(path),
                failure.code or failure.status or "no answer",
                attempt + 1,
                delay,
            )
            time.sleep(delay)
            attempt += 1

    def _attempt(self, method, url, headers, json, params) -> "Answer | errors.SpaceInvoicesError":
        """One HTTP exchange: an Answer, a retryable error returned, or a final error raised."""
        sent_id = headers.get(REQUEST_ID_HEADER)
        started = time.monotonic()
        try:
            response = self.pool.request(method, url, headers=headers, json=json, params=params)
        except ConnectionFailed as exc:
            kind = errors.NoAnswer if exc.sent else errors.Unavailable
            return kind(_no_answer(exc, method), request_id=sent_id)
        request_id = response.headers.get(REQUEST_ID_HEADER, sent_id)
        if logger.isEnabledFor(logging.DEBUG):  # the redaction is not free: only when shown
            logger.debug(
                "space invoices %s %s -> %s in %.0fms (request %s)",
                method,
                redact(response.path),
                response.status,
                (time.monotonic() - started) * 1000,
                request_id,
            )
        status = response.status
        if 200 <= status < 300:
            return Answer(status, self._json(response, request_id), request_id)
        error = self._error(response, request_id)
        if status in RETRY_STATUSES or status == 429:
            return error  # the caller decides whether another attempt fits
        raise error

    @staticmethod
    def _json(response: Response, request_id: str | None) -> Any:
        """The body of a 2xx answer, or None when it has none or it is not JSON: a call that
        needs a body then raises MalformedResponse; one that does not (a delete) succeeds."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            logger.warning(
                "space invoices answered %s with a body that is not JSON (request %s)",
                response.status,
                request_id,
            )
            return None

    @staticmethod
    def _error(response: Response, request_id: str | None) -> errors.SpaceInvoicesError:
        # Errors are {"code", "message"}; a 422 adds Zod's {"cause": {"issues": [...]}}. A
        # body of another shape (a proxy's HTML 502, nothing at all) still keeps its status.
        status = response.status
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else None
        kwargs = {"status": status, "code": code, "request_id": request_id}
        text = message or f"Space Invoices answered HTTP {status}"
        if status == 429:
            return errors.RateLimited(text, retry_after=_retry_after(response), **kwargs)
        if status >= 500:
            return errors.Unavailable(text, **kwargs)
        if code == contract.IDEMPOTENCY_KEY_REUSED:
            return errors.IdempotencyKeyReused(text, **kwargs)
        cls = _ERRORS_BY_STATUS.get(status, errors.SpaceInvoicesError)
        if issubclass(cls, errors.InvalidRequest):
            return cls(text, field_errors=_field_errors(body), **kwargs)
        return cls(text, **kwargs)

    @staticmethod
    def _delay(failure: errors.SpaceInvoicesError, attempt: int, retry: RetryPolicy) -> float:
        if isinstance(failure, errors.RateLimited) and failure.retry_after is not None:
            return failure.retry_after
        # Exponential backoff with full jitter, so that many clients do not retry in step.
        return random.uniform(0, retry.backoff * (2**attempt)) + retry.backoff / 2


def _retry_after(response: Response) -> float | None:
    raw = response.headers.get("Retry-After") or ""
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _field_errors(body: dict) -> dict[str, list[str]]:
    """``cause.issues[]`` as ``{"post_code": ["…"], "settings.primary_color": ["…"]}``."""
    cause = body.get("cause")
    issues = cause.get("issues") if isinstance(cause, dict) else None
    result: dict[str, list[str]] = {}
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict):
            continue
        path = issue.get("path")
        parts = path if isinstance(path, list) else [path] if path is not None else []
        field = ".".join(str(p) for p in parts) or "(request)"
        message = issue.get("message")
        result.setdefault(field, []).append(str(message) if message else "is not valid")
    return result


def _no_answer(failure: ConnectionFailed, method: str) -> str:
    """What is known of a request no answer came for: a write that left may have been
    carried out (the caller's intent, kept open, sends the same id again to find out)."""
    if not failure.sent:
        return "Space Invoices could not be reached"
    said = "did not answer in time" if isinstance(failure, TimedOut) else "did not answer"
    if method in WRITE_METHODS:
        return f"Space Invoices {said}; it may have carried out the request"
    return f"Space Invoices {said}"
