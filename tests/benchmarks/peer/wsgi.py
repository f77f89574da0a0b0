"""WSGI entry of the peer (gunicorn tests.benchmarks.peer.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.peer.settings")
application = get_wsgi_application()
