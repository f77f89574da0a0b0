"""The portal's WSGI entry with each phase of a launch timed (thread CPU and wall time), for
``tests.benchmarks.worker_phases``: gunicorn loads it instead of ``portal.wsgi``.

A worker writes what it has measured to ``$BENCH_PHASES_DIR/<pid>.json`` on SIGUSR2, then
starts afresh, so that warming up and signing in are left out of the figures."""

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

from portal.wsgi import application as portal_application

_lock = threading.Lock()
_cpu: dict[str, float] = {}
_walls: dict[str, list[float]] = {}
_requests = [0]


def _record(phase: str, cpu: float, wall: float) -> None:
    with _lock:
        _cpu[phase] = _cpu.get(phase, 0.0) + cpu
        _walls.setdefault(phase, []).append(wall)


def _timed(owner, attribute: str, phase: str) -> None:
    """Replace ``owner.attribute`` with the same callable, timed as ``phase``."""
    original = getattr(owner, attribute)  # AttributeError at boot when a name has moved

    def timed(*args, **kwargs):
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _record(phase, time.thread_time() - cpu, time.perf_counter() - wall)

    setattr(owner, attribute, timed)


def _instrument() -> None:
    import redis.client

    import embedding.views
    import tenants.sessions
    from portal.insert_in_flight import InsertInFlight
    from spaceinvoices.client.http import ConnectionPool

    # Imported by name into the view's module: timed where the view looks it up.
    _timed(embedding.views, "launch_token_create", "launch service (rate limit, mint, audit)")
    _timed(tenants.sessions.SessionStore, "load", "session, user and membership read")
    _timed(ConnectionPool, "request", "mint: HTTP to Space Invoices")
    _timed(redis.client.Redis, "execute_command", "rate limit: Redis")
    _timed(InsertInFlight, "__init__", "audit row: INSERT sent")
    _timed(InsertInFlight, "row_id", "audit row: INSERT read")
    _timed(embedding.views._LaunchRedirect, "close", "audit outcome, after the response")
    _timed(logging.StreamHandler, "emit", "request log line")


def _dump(signum, frame) -> None:
    with _lock:
        path = Path(os.environ["BENCH_PHASES_DIR"]) / f"{os.getpid()}.json"
        path.write_text(json.dumps({"requests": _requests[0], "cpu": _cpu, "walls": _walls}))
        _cpu.clear()
        _walls.clear()
        _requests[0] = 0


def application(environ, start_response):
    cpu, wall = time.thread_time(), time.perf_counter()
    try:
        return portal_application(environ, start_response)
    finally:
        _record("Django's handler, whole", time.thread_time() - cpu, time.perf_counter() - wall)
        with _lock:
            _requests[0] += 1


_instrument()
signal.signal(signal.SIGUSR2, _dump)  # the worker's own handler: gunicorn set its others
