"""The framework line in ``make bench``: gunicorn and Django alone (no middleware, no
session, no database), one mint over a kept-alive ``http.client`` connection, a 303. What
any Django launch costs before it checks anything: a lower bound for the peer and the
portal, measured in the same run."""
