"""Gunicorn's logger with secrets masked. Its access log (off unless GUNICORN_ACCESS_LOG is
set) and its error log ("Error handling request GET /accounts/reset/…") would otherwise
print reset-link tokens and launch tokens straight from the URL."""

from gunicorn.glogging import Logger

from portal.redaction import RedactingFilter, redact


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
