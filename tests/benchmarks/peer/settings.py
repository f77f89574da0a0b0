"""The peer's settings: the portal's database, cache and secret key, Django's own sessions
(in PostgreSQL behind Redis: the benchmark sets SESSION_ENGINE), with Django's default
middleware and nothing else: no membership check, rate limit, audit or request log."""

import json
import os

from portal.settings import *  # noqa: F403 (the same stack, deliberately)

ROOT_URLCONF = "tests.benchmarks.peer.urls"
WSGI_APPLICATION = "tests.benchmarks.peer.wsgi.application"
LOGIN_URL = "/accounts/login/"
# As `django-admin startproject` writes them.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# Which Space Invoices user each login is, and their entity: handed over by the benchmark,
# so the view looks nothing up (a partner's naive version keeps such a mapping somewhere).
PEER_USERS = json.loads(os.environ.get("BENCH_PEER_USERS", "{}"))
PEER_ENTITY_ID = os.environ.get("BENCH_PEER_ENTITY_ID", "")
