"""The portal's one redaction helper: Space Invoices' secret shapes plus the portal's own."""

import logging
import re
from urllib.parse import unquote

from spaceinvoices.redaction import SECRET_HINT, SECRET_PATTERNS
from spaceinvoices.redaction import redact as _redact

# A parameter is secret when a word of its name is one of these (client_secret, accessToken,
# X-Amz-Signature, user[password], new_password1) or ends with one of the longer ones
# (csrfmiddlewaretoken, mypassword); never when a word only ends alike (monkey, keyword).
# fmt: off
SECRET_WORDS = frozenset({
    "password", "passwd", "passwort", "pwd", "pass", "passcode", "secret", "token", "key",
    "apikey", "auth", "authorization", "signature", "sig", "credential", "credentials", "otp",
    "code", "session", "sessionid", "pin",
})
# fmt: on
SECRET_ENDINGS = ("password", "passwd", "secret", "token")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


# A secret someone put in a URL's query (a mistyped form, a probe, a bookmarked link),
# also percent-encoded inside another's value (the login's ?next=): the request line would
# log it whatever the portal does with it. _query_parameter_mask decides by its name.
_QUERY_PARAMETER = re.compile(
    r"(?P<head>(?:[?&;]|%3[fF]|%26|%3[bB])(?P<name>[A-Za-z0-9_.\-\[\]%]{1,100}?)"
    r"(?:=|%3[dD]))(?P<value>[^&\s#<>]*?)(?=&|%26|[\s#<>]|$)"
)


def _query_parameter_mask(match: re.Match) -> str:
    words = [word.lower() for word in _WORD.findall(unquote(match["name"]))]
    if any(word in SECRET_WORDS or word.endswith(SECRET_ENDINGS) for word in words):
        return match["head"] + "***"
    # Not secret itself: its value may hold a query of its own (?next=/x/%3Ftoken%3D…).
    return match["head"] + _QUERY_PARAMETER.sub(_query_parameter_mask, match["value"])


# The portal's own secrets: Fernet ciphertext of the stored keys, and the token in the path
# of a password-reset or welcome link (whoever holds it can take over the account). Django
# swaps it for "set-password" after the first visit; that one is harmless and stays.
PORTAL_PATTERNS = (
    (re.compile(r"\bgAAAAA[A-Za-z0-9_\-=]{20,}"), "gAAAAA***"),
    # Percent-encoded characters included: Django accepts %2D for "-" in the link.
    (re.compile(r"(/reset/[A-Za-z0-9_\-%]+/)(?!set-password/)[A-Za-z0-9_\-%]+"), r"\1***"),
    (_QUERY_PARAMETER, _query_parameter_mask),
)
PATTERNS = SECRET_PATTERNS + PORTAL_PATTERNS
# Space Invoices' literals, and ours: every secret-shaped part contains one of them.
HINT = re.compile(SECRET_HINT.pattern + r"|gaaaaa|/reset/|[?&;]|%3f|%26|%3b")


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
