"""One redaction helper for every place a secret could leak: logs, errors, command output."""

import logging
import re

# Keys (account and entity), Fernet ciphertext, bearer credentials and token query
# parameters. Anything shaped like one is masked, whether or not it is a real secret.
_PATTERNS = [
    (re.compile(r"\b(sk|ek)_(live|sandbox)_[A-Za-z0-9]+"), r"\1_\2_***"),
    (re.compile(r"\bgAAAAA[A-Za-z0-9_\-=]{20,}"), "gAAAAA***"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1***"),
    (re.compile(r"(?i)([?&;]token=)[^&\s\"'#<>]+"), r"\1***"),
    (re.compile(r"(?i)(\"token\"\s*:\s*\")[^\"]+"), r"\1***"),
]


def redact(text: object) -> str:
    """Return ``text`` as a string with every key- or token-shaped part masked."""
    result = str(text)
    for pattern, replacement in _PATTERNS:
        result = pattern.sub(replacement, result)
    return result


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
