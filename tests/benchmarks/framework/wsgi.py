"""WSGI entry of the framework line (gunicorn tests.benchmarks.framework.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.framework.settings")
application = get_wsgi_application()
