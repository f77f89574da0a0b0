"""One log line per request, with the portal's own request id and structured fields."""

import logging
import time
import uuid

from portal.redaction import redact

logger = logging.getLogger("portal.request")


class RequestLogMiddleware:
    """Gives each request an id (``request.request_id``, echoed as ``X-Request-Id``) and
    logs method, path (secrets masked), status, duration, user, and any ``log_fields`` a
    view added, such as the launch outcome."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Our own id: never taken from the client, never the upstream X-Request-Id.
        request.request_id = uuid.uuid4().hex
        request.log_fields = {}
        started = time.monotonic()
        response = self.get_response(request)
        fields = {
            "request_id": request.request_id,
            "method": request.method,
            "path": redact(request.get_full_path()),
            "status": response.status_code,
            "ms": round((time.monotonic() - started) * 1000, 1),
            "user": _user_id(request),
            **request.log_fields,
        }
        logger.info("request", extra={"fields": fields})
        response["X-Request-Id"] = request.request_id
        return response


def _user_id(request) -> object:
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else "-"
    except Exception:  # the user could not be read (the database failed)
        # The answer (an error page already) and its log line go out all the same.
        return "?"


class FieldsFormatter(logging.Formatter):
    """The plain format, then ``key=value`` for each structured field (logfmt-style)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            line += " " + " ".join(f"{k}={_value(v)}" for k, v in fields.items())
        return redact(line)


def _value(value) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


class RefusalWithoutTraceback(logging.Filter):
    """On ``django.request``: a 403 is logged as its one line, without the traceback of the
    PermissionDenied behind it. A refusal is the portal working; pages of stack for each
    one bury the errors that are not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = record.exc_text = None
        return True
