"""The shapes of Space Invoices' secrets, and a helper that masks them in any text."""

import re

# Account and entity keys (also inside URLs: a key travels in a DELETE's path), bearer
# credentials, and launch tokens in the embed URL's query or in a JSON answer. Anything
# shaped like one is masked, whether or not it is a real secret.
SECRET_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"\b(sk|ek)_(live|sandbox)_[A-Za-z0-9]+"), r"\1_\2_***"),
    # A webhook endpoint's signing secret: whoever holds it can forge deliveries.
    (re.compile(r"\bwhsec_[A-Za-z0-9]+"), "whsec_***"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1***"),
    (re.compile(r"(?i)([?&;]token=)[^&\s\"'#<>]+"), r"\1***"),
    (re.compile(r"(?i)(\"token\"\s*:\s*\")[^\"]+"), r"\1***"),
)


def redact(text: object, patterns=SECRET_PATTERNS) -> str:
    """``text`` as a string with every part shaped like one of ``patterns`` masked."""
    result = str(text)
    for pattern, replacement in patterns:
        result = pattern.sub(replacement, result)
    return result
