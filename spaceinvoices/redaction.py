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


# What every one of those shapes contains (matched in any case): a text without any of
# these has nothing to mask, and most log lines are such texts. One search then stands in
# for five substitutions; a pattern added above needs its literal here too (a test holds
# the two lists to each other).
SECRET_HINT = re.compile(r"(?i)sk_|ek_|whsec_|bearer|token")


def redact(text: object, patterns=SECRET_PATTERNS, hint: re.Pattern | None = SECRET_HINT) -> str:
    """``text`` as a string with every part shaped like one of ``patterns`` masked.
    ``hint`` (None: always look) is a pattern every secret-shaped part contains."""
    result = str(text)
    if hint is not None and not hint.search(result):
        return result
    for pattern, replacement in patterns:
        result = pattern.sub(replacement, result)
    return result
