"""Production settings: check --deploy is clean, security headers, CSP, request log lines."""

import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests
from cryptography.fernet import Fernet
from django.urls import reverse

from tests.log_secrets import process_output_check
from tests.portal.test_settings import ROOT

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "Zq9!x" * 10,
    "ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "EMAIL_URL": "smtp://mail.example.com:587",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "SPACEINVOICES_API_KEY": "sk_live_" + "1" * 32,
    "PORTAL_TRUSTED_PROXY_COUNT": "1",
    "PORTAL_READ_ENV_FILE": "0",
    # Shared by every process (the check does not connect to it).
    "CACHE_URL": "redis://127.0.0.1:6379/15",
}


def production_env(tmp_path, **extra) -> dict:
    """This machine's environment less anything of ours, plus the production settings."""
    mine = ("PORTAL_", "SECURE_", "DJANGO_", "SPACEINVOICES_", "DATABASE_URL", "DEBUG")
    env = {k: v for k, v in os.environ.items() if not k.startswith(mine)}
    return {**env, **PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", **extra}


def manage(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    process_output_check(result.stdout + result.stderr)
    return result


@pytest.mark.process
def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.process
def test_check_deploy_warns_of_a_per_process_cache(tmp_path):
    result = manage(tmp_path, "check", "--deploy", CACHE_URL="locmemcache://")
    assert "portal.W001" in result.stderr + result.stdout
    assert "N times" in result.stderr + result.stdout


def test_pages_carry_csp_and_security_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self' http://127.0.0.1:" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-Id"]) == 32
    # A redirect renders nothing: no policy is built for it (the page it leads to has one).
    redirect = client.get(reverse("home"))
    assert redirect.status_code == 302 and "Content-Security-Policy" not in redirect
    assert redirect["X-Content-Type-Options"] == "nosniff"
    # An error page is a page.
    missing = client.get("/nowhere/")
    assert missing.status_code == 404 and "script-src 'self'" in missing["Content-Security-Policy"]


def test_one_request_line_with_its_own_id_and_no_token(client, caplog, settings):
    from portal.request_log import FieldsFormatter

    with caplog.at_level(logging.INFO, logger="portal.request"):
        response = client.get("/healthz?token=sit_secret123")
    [record] = [r for r in caplog.records if r.name == "portal.request"]
    line = FieldsFormatter("%(message)s").format(record)
    assert f"request_id={response['X-Request-Id']}" in line
    assert "status=200" in line and "method=GET" in line
    assert "sit_secret123" not in line and "token=***" in line


def test_client_ip_trusts_only_the_configured_proxies(rf, settings):
    from portal.client_ip import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # the spoofed 6.6.6.6 is not believed
    settings.PORTAL_TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.1"


@pytest.mark.process
def test_static_files_are_compressed_and_hashed(tmp_path):
    static = tmp_path / "static"
    result = manage(
        tmp_path, "collectstatic", "--no-input", "-v", "0", STATIC_ROOT_OVERRIDE=str(static)
    )
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (static / "css").iterdir()}
    hashed = [n for n in names if re.fullmatch(r"portal\.[0-9a-f]{12}\.css\.gz", n)]
    assert hashed, names


@contextlib.contextmanager
def _gunicorn(tmp_path, **env_vars):
    """The portal under gunicorn.conf.py, as production runs it: yields (base URL, output
    read once it stopped)."""
    static = str(tmp_path / "static")
    assert manage(tmp_path, "migrate", "-v", "0").returncode == 0
    assert manage(tmp_path, "collectstatic", "--no-input", "-v", "0",
                  STATIC_ROOT_OVERRIDE=static).returncode == 0  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = production_env(
        tmp_path,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        SECURE_SSL_REDIRECT="0",
        PORTAL_TRUSTED_PROXY_COUNT="0",
        CACHE_URL="locmemcache://",
        STATIC_ROOT_OVERRIDE=static,
        **env_vars,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output = []
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn down"
                time.sleep(0.2)
        yield url, output
    finally:
        server.terminate()
        output.append(process_output_check(server.communicate(timeout=30)[0]))


@pytest.mark.process
def test_gunicorn_with_its_access_log_on_prints_no_token(tmp_path):
    """A reset link's token and a launch token in a URL, through the real server and both of
    its logs (gunicorn's access log and the portal's request line)."""
    token = "c1x2ab-0123456789abcdef0123456789abcdef"
    with _gunicorn(tmp_path, GUNICORN_ACCESS_LOG="-") as (url, output):
        answer = requests.get(
            f"{url}/accounts/reset/MQ/{token}/?token=sit_abcdefgh12345",
            headers={"Host": "portal.example.com"},
            timeout=5,
        )
        assert answer.status_code in (200, 302)
        # A worker holds no more connections than it has threads: the answer ends its
        # connection, and gunicorn found nothing to warn about in that.
        assert answer.headers["Connection"] == "close"
    assert "/accounts/reset/MQ/***/" in output[0]  # both logs wrote the line, masked
    assert token not in output[0] and "sit_abcdefgh12345" not in output[0]
    assert "No keepalived connections" not in output[0]


@pytest.mark.process
def test_gunicorn_keeps_connections_alive_when_allowed_more_than_its_threads(tmp_path):
    server = _gunicorn(tmp_path, GUNICORN_WORKER_CONNECTIONS="16")
    with server as (url, _), requests.Session() as browser:
        browser.headers["Host"] = "portal.example.com"
        first = browser.get(f"{url}/healthz", timeout=5)
        assert first.status_code == 200
        assert first.headers.get("Connection", "keep-alive").lower() == "keep-alive"
        assert browser.get(f"{url}/healthz", timeout=5).status_code == 200


@pytest.mark.process
@pytest.mark.parametrize("value", ["0", "2"])
def test_gunicorn_refuses_fewer_connections_than_threads(tmp_path, value):
    check = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "portal.wsgi"],
        cwd=ROOT,
        env=production_env(tmp_path, GUNICORN_THREADS="4", GUNICORN_WORKER_CONNECTIONS=value),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode != 0
    assert f"GUNICORN_WORKER_CONNECTIONS must be at least GUNICORN_THREADS (4), not {value}" in (
        check.stdout + check.stderr
    )


@pytest.mark.process
def test_a_database_host_that_never_answers_fails_after_the_connect_timeout(tmp_path):
    """A host that accepts the connection and says nothing (a stuck pooler): the request
    fails after DATABASE_CONNECT_TIMEOUT seconds, not libpq's two minutes and more."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepted by the kernel, never answered
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = manage(
            tmp_path,
            "shell",
            "-c",
            "from django.db import connection; connection.ensure_connection()",
            DATABASE_URL=f"postgres://portal@127.0.0.1:{port}/portal",
            DATABASE_CONNECT_TIMEOUT="2",
        )
    assert result.returncode != 0
    assert "timeout expired" in result.stderr
    # Not a measure of speed: libpq's default would have waited over two minutes.
    assert time.monotonic() - started < 60


@pytest.mark.django_db
def test_on_postgresql_an_open_connection_gives_up_on_a_silent_network(settings):
    """The socket itself carries the limits: unacknowledged data and keepalives."""
    from django.db import connection

    from tests.conftest import require

    require(connection.vendor == "postgresql", "libpq's socket options")
    connection.ensure_connection()
    raw = socket.socket(fileno=os.dup(connection.connection.pgconn.socket))
    try:
        assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 15_000
        assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 15
    finally:
        raw.close()  # the duplicate only: the connection's own socket stays open
