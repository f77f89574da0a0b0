"""Everything that knows Space Invoices, and nothing else.

The HTTP client and its typed answers and errors (``client``), the API's rules
(``contract``), the shapes of its secrets (``redaction``), and a simulator that stands in
for the service in development and tests (``simulator``, its own process). No models, and
no import of ``portal``, ``tenants`` or ``embedding``; only ``factory`` reads Django settings.
"""
