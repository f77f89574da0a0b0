"""The framework line's settings: nothing installed, no middleware, no database."""

import os

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")
ROOT_URLCONF = "tests.benchmarks.framework.urls"
WSGI_APPLICATION = "tests.benchmarks.framework.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True
SPACEINVOICES_API_URL = os.environ["SPACEINVOICES_API_URL"]
SPACEINVOICES_EMBED_URL = os.environ["SPACEINVOICES_EMBED_URL"]
SPACEINVOICES_API_KEY = os.environ["SPACEINVOICES_API_KEY"]
# The one Space Invoices user every click mints for, and their entity (from the benchmark).
FRAMEWORK_USER_ID = os.environ.get("BENCH_FRAMEWORK_USER_ID", "")
FRAMEWORK_ENTITY_ID = os.environ.get("BENCH_FRAMEWORK_ENTITY_ID", "")
