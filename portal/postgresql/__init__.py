"""Django's PostgreSQL backend, with a per-request health check that costs no round trip."""
