"""The portal's one redaction helper: Space Invoices' secret shapes plus the portal's own."""

import logging
import re

from spaceinvoices.redaction import SECRET_HINT, SECRET_PATTERNS
from spaceinvoices.redaction import redact as _redact

# The portal's own secrets: Fernet ciphertext of the stored keys, and the token in the path
# of a password-reset or welcome link (whoever holds it can take over the account). Django
# swaps it for "set-password" after the first visit; that one is harmless and stays.
PORTAL_PATTERNS = (
    (re.compile(r"\bgAAAAA[A-Za-z0-9_\-=]{20,}"), "gAAAAA***"),
    # Percent-encoded characters included: Django accepts %2D for "-" in the link.
    (re.compile(r"(/reset/[A-Za-z0-9_\-%]+/)(?!set-password/)[A-Za-z0-9_\-%]+"), r"\1***"),
    # A secret someone put in a URL's query (a mistyped form, a probe, a bookmarked link):
    # the request line would log it whatever the portal does with it.
    (
        # Its name, or its last word (client_secret, new_password1, x-api-key, access_token,
        # api%5Fkey as a browser writes it), never a word that only ends alike (monkey=).
        re.compile(
            r"(?i)([?&;](?:[a-z0-9]+(?:[_-]|%5f|%2d))*"
            r"(?:password\d*|passwd|secret|token|apikey|key)=)[^&\s\"'#<>]+"
        ),
        r"\1***",
    ),
)
PATTERNS = SECRET_PATTERNS + PORTAL_PATTERNS
# Space Invoices' literals, and ours: every secret-shaped part contains one of them.
HINT = re.compile(SECRET_HINT.pattern + r"|gaaaaa|/reset/|password|passwd=|secret|key=")


def redact(text: object) -> str:
    """Return ``text`` as a string with every key- or token-shaped part masked."""
    return _redact(text, PATTERNS, HINT)


class RedactingFilter(logging.Filter):
    """Logging filter, installed on every handler, that masks secrets in the final message."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
