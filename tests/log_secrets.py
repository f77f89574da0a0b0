"""Every log line the suite produces, and the output of every process a test starts, checked
for live secrets: keys, launch tokens, Fernet ciphertext, and reset-link tokens.

The shapes here are written independently of ``portal.redaction`` on purpose: a redaction
pattern that misses a secret must turn this red, not agree with it."""

import logging
import re

LIVE_SECRETS = (
    ("a Space Invoices key", re.compile(r"\b(?:sk|ek)_(?:live|sandbox)_[A-Za-z0-9]{6,}")),
    ("a launch token", re.compile(r"[?&]token=(?!\*\*\*)[^&\s\"'<>]{8,}")),
    ("a token in JSON", re.compile(r"\"token\"\s*:\s*\"(?!\*\*\*)[^\"]{8,}")),
    ("a bearer credential", re.compile(r"(?i)bearer\s+(?!\*\*\*)[A-Za-z0-9_\-.]{8,}")),
    ("stored-key ciphertext", re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}")),
    ("a webhook signing secret", re.compile(r"whsec_[A-Za-z0-9]{8,}")),
    (
        "a password-reset token",
        re.compile(r"/reset/[A-Za-z0-9_\-%]+/[0-9a-z]{1,13}(?:-|%2[dD])[0-9a-f]{20,}"),
    ),
)


def live_secrets_in(text: str) -> list[str]:
    """What kinds of live secret ``text`` holds (each named, never shown)."""
    return [name for name, pattern in LIVE_SECRETS if pattern.search(text)]


class CapturingHandler(logging.Handler):
    """Formats each record exactly as the portal's console handler would (its filters and
    formatter), and keeps the lines."""

    def __init__(self, console: logging.Handler) -> None:
        super().__init__(level=logging.DEBUG)
        self.filters = list(console.filters)
        self.setFormatter(console.formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a broken record is pytest's to report, not ours
            self.lines.append(str(record.msg))


# Output of processes the current test started, added by the helpers that start them.
process_outputs: list[str] = []


def process_output_check(text: str) -> str:
    """Record a started process's output for the current test's check; returns it."""
    process_outputs.append(text or "")
    return text


def console_handler() -> logging.Handler:
    from portal.redaction import RedactingFilter

    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RedactingFilter) for f in handler.filters):
            return handler
    raise AssertionError("the portal's console handler (with RedactingFilter) is not installed")
