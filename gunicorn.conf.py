"""Gunicorn settings for production: `gunicorn portal.wsgi` reads this file by default.

Threads suit the portal: a launch spends most of its time waiting on Space Invoices.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Each launch waits on Space Invoices (read timeout SPACEINVOICES_TIMEOUT, plus retries).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# A worker takes a new connection only while one of its threads is free for it: requests
# then spread over the workers instead of queueing behind one worker's busy threads while
# another idles (gthread otherwise accepts up to 1,000 per worker). A connection then ends
# with its answer (kept alive, it would hold a thread's place while idle): behind the load
# balancer that costs a local connect, not a TLS handshake. The load balancer (or nginx)
# must buffer requests: a client that connects and sends slowly holds a thread meanwhile.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS") or threads)
if worker_connections < threads:
    # Fewer would leave threads idle; none would accept and never answer.
    raise ValueError(
        f"GUNICORN_WORKER_CONNECTIONS must be at least GUNICORN_THREADS ({threads}), "
        f"not {worker_connections}"
    )
keepalive = 5 if worker_connections > threads else 0
# Recycle workers now and then, with jitter so that they do not all restart at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = 1000
# The portal logs one line per request itself (with its request id), so gunicorn's access
# log is off unless asked for ("-" for stdout). Either way secrets are masked in it.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
logger_class = "portal.gunicorn_logging.RedactingLogger"
# X-Forwarded-* are honoured only from these addresses (the load balancer).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
