"""The simulator's HTTP server: API, idempotent replay, faults, latency, control, embed."""

import hashlib
import json
import logging
import math
import select
import socket
import threading
import time
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import (  # noqa: F401  (their routes register on import)
    documents,
    entities,
    keys,
    members,
    webhooks,
)
from .api import ApiError, Call, authenticate, dispatch
from .control import Controls, parse_fault
from .embed import embed_open
from .members import invitation_accept
from .store import BEHAVIOURS, Store, dumps, iso, new_id, now

logger = logging.getLogger("simulator")
WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
REPLAY_HOURS = 24  # [chosen] how long an executed outcome is kept for replay


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a benchmark opens tens of connections at once

    def __init__(self, address, store: Store) -> None:
        self.store = store
        self.controls = Controls()
        super().__init__(address, Handler)
        self.stopping = threading.Event()
        webhooks.dispatcher_start(store, self.stopping)

    def server_close(self) -> None:
        self.stopping.set()
        super().server_close()


def _fingerprint(method: str, path: str, entity: str | None, body) -> str:
    """What makes two requests the same: method, path, the entity acted on, and body."""
    return hashlib.sha256(f"{method} {path} {entity} {dumps(body)}".encode()).hexdigest()


def execute(store: Store, method: str, path: str, params: dict, raw: bytes, headers) -> tuple:
    """Run one API call in one transaction; (status, body, echoed request id, replayed)."""
    sent_id = headers.get("X-Request-Id")
    request_id = sent_id or new_id("req_")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return (
            400,
            {"code": "invalid_json", "message": "The body is not valid JSON."},
            request_id,
            False,
        )
    with store.transaction():
        try:
            account, key_entity = authenticate(store, headers.get("Authorization"))
        except ApiError as exc:
            return exc.status, exc.body(), request_id, False
        replayable = method in WRITES and bool(sent_id)
        fingerprint = _fingerprint(method, path, headers.get("x-entity-id"), body)
        if replayable:
            cutoff = iso(now() - timedelta(hours=REPLAY_HOURS))
            kept = store.one(
                "SELECT * FROM idempotency WHERE account_id = ? AND request_id = ? "
                "AND created_at > ?",
                account["id"],
                sent_id,
                cutoff,
            )
            if kept and kept["fingerprint"] != fingerprint:
                error = ApiError(
                    422, "idempotency_key_reused", "This X-Request-Id was used for another request."
                )
                return error.status, error.body(), request_id, False
            if kept:
                return kept["status"], json.loads(kept["body"]), request_id, True
        call = Call(
            method=method,
            path=path,
            params=params,
            body=body,
            account=account,
            key_entity_id=key_entity,
            entity_header=headers.get("x-entity-id"),
        )
        store.run("SAVEPOINT call")
        try:
            status, payload = dispatch(store, call)
            store.run("RELEASE call")
        except ApiError as exc:
            store.run("ROLLBACK TO call")
            status, payload = exc.status, exc.body()
        # Only an outcome the API executed is kept: 2xx, and 4xx other than 429.
        if replayable and (200 <= status < 300 or (400 <= status < 500 and status != 429)):
            store.run(
                "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                account["id"],
                sent_id,
                fingerprint,
                status,
                dumps(payload),
                iso(now()),
            )
        return status, payload, request_id, False


def _json_or_none(raw: bytes):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real service
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK would add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    server: SimulatorServer

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def log_message(self, format, *args):
        pass  # the request line can hold a key or a token: never log it

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        params = dict(parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            if path.startswith("/_control/"):
                self._control(path, raw)
            elif path == "/embed" and self.command == "GET":
                status, html = embed_open(self.server.store, params.get("token"))
                self._send(status, html, "text/html; charset=utf-8")
            else:
                self._api(path, params, raw)
        except Exception:
            logger.exception("simulator error on %s %s", self.command, path)
            self._json(500, {"code": "internal_error", "message": "Simulator error."})

    def _api(self, path: str, params: dict, raw: bytes) -> None:
        controls = self.server.controls
        controls.count(self.command, path, self.headers.get("X-Request-Id"), _json_or_none(raw))
        try:
            self._answer(controls, path, params, raw)
        finally:
            controls.done()

    def _answer(self, controls, path: str, params: dict, raw: bytes) -> None:
        wait = controls.rate_check(self.headers.get("Authorization", ""))
        if wait is not None:
            body = {"code": "rate_limit_exceeded", "message": "Too many requests."}
            self._json(429, body, {"Retry-After": str(max(1, math.ceil(wait)))})
            return
        fault = controls.take_fault(self.command, path)
        if fault and fault.delay_ms:
            if fault.drop == "before":
                self._client_stays(fault.delay_ms)  # nothing will be done either way
            else:
                time.sleep(fault.delay_ms / 1000)  # done after the wait, the client gone or not
        if fault and fault.drop == "before":
            self.close_connection = True  # nothing was done
            return
        if controls.latency_ms:
            time.sleep(controls.latency_ms / 1000)
        if fault and fault.status:
            self._fault_answer(fault)
            return
        status, body, request_id, replayed = execute(
            self.server.store, self.command, path, params, raw, self.headers
        )
        # Done, but the answer is late; or never sent, once the client has hung up.
        if fault and fault.hold_ms and not self._client_stays(fault.hold_ms):
            return
        if fault and fault.drop == "after":
            self.close_connection = True  # the write happened; the answer never arrives
            return
        extra = {"X-Request-Id": request_id}
        if replayed:
            extra["X-Idempotent-Replayed"] = "true"
        if fault and fault.malformed:
            self._send(status, b'{"data": [{"id": "broken', "application/json", extra)
            return
        self._json(status, body, extra)

    def _client_stays(self, ms: int) -> bool:
        """Wait ``ms``, or less once the client has hung up (False): its answer has nowhere
        to go, so a server stops holding it. Used only where the outcome is settled already (a
        hold after the work, a wait before a drop), so kill tests need not wait out each hold."""
        deadline = time.monotonic() + ms / 1000
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], left)
            if not readable:
                continue
            try:
                gone = not self.connection.recv(1, socket.MSG_PEEK)
            except OSError:  # reset: the client died with data unread
                gone = True
            if gone:
                self.close_connection = True
                return False
            time.sleep(max(0.0, deadline - time.monotonic()))  # it sent more: wait it out
        return True

    def _fault_answer(self, fault) -> None:
        status = fault.status
        headers = {"X-Request-Id": self.headers.get("X-Request-Id") or new_id("req_")}
        if status == 429:
            headers["Retry-After"] = str(fault.retry_after)
            body = fault.body or {"code": "rate_limit_exceeded", "message": "Too many requests."}
        else:
            phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            body = fault.body or {"code": "injected_fault", "message": phrase or "Injected fault."}
        self._json(status, body, headers)

    def _control(self, path: str, raw: bytes) -> None:
        store, controls = self.server.store, self.server.controls
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self._json(400, {"code": "invalid_json", "message": "Body is not JSON."})
            return
        route = (self.command, path)
        if route == ("GET", "/_control/stats"):
            with store.lock:
                counts = store.counts()
            self._json(
                200,
                {
                    **counts,
                    "requests": dict(controls.requests),
                    "in_flight": controls.in_flight,
                    "faults_waiting": len(controls.faults),
                    "rate_limited": controls.rate_limited,
                },
            )
        elif route == ("GET", "/_control/journal"):
            self._json(200, {"data": controls.journal_copy()})
        elif route == ("POST", "/_control/faults"):
            try:
                controls.add_fault(parse_fault(body))
            except ValueError as exc:
                self._json(422, {"code": "validation_error", "message": str(exc)})
                return
            self._json(201, body)
        elif route == ("DELETE", "/_control/faults"):
            controls.clear(counts=False)
            self._send(204, b"", None)
        elif route == ("POST", "/_control/rate_limit"):
            body = body if isinstance(body, dict) else {}
            limit, period = body.get("limit"), body.get("period_seconds", 60)
            if not isinstance(limit, int) or limit < 0:
                self._json(422, {"code": "validation_error", "message": "limit: int >= 0"})
                return
            if not isinstance(period, int | float) or period <= 0:
                self._json(422, {"code": "validation_error", "message": "period_seconds: > 0"})
                return
            controls.rate_limit_set(limit, float(period))
            self._json(200, {"limit": limit, "period_seconds": period})
        elif route == ("POST", "/_control/latency"):
            ms = body.get("ms") if isinstance(body, dict) else None
            if not isinstance(ms, int) or ms < 0:
                self._json(422, {"code": "validation_error", "message": "ms: non-negative int"})
                return
            controls.latency_ms = ms
            self._json(200, {"ms": ms})
        elif route == ("POST", "/_control/clock"):
            days = body.get("days") if isinstance(body, dict) else None
            if not isinstance(days, int) or isinstance(days, bool) or days < 0:
                self._json(422, {"code": "validation_error", "message": "days: int >= 0"})
                return
            with store.transaction():
                overdue = documents.clock_advance(store, days)
            self._json(200, {"clock_days": store.clock_days, "became_overdue": overdue})
        elif route == ("POST", "/_control/webhooks"):
            scale = body.get("retry_scale") if isinstance(body, dict) else None
            if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0 < scale <= 1:
                self._json(422, {"code": "validation_error", "message": "retry_scale: 0 < x <= 1"})
                return
            store.retry_scale = float(scale)
            self._json(200, {"retry_scale": store.retry_scale})
        elif route == ("GET", "/_control/webhooks/deliveries"):
            with store.lock:
                self._json(200, {"data": webhooks.deliveries_list(store)})
        elif route == ("POST", "/_control/behaviour"):
            self._behaviour(body)
        elif route == ("POST", "/_control/replays/expire"):
            # What 24 hours passing does to kept X-Request-Id outcomes.
            with store.transaction():
                store.run("DELETE FROM idempotency")
            self._json(200, {"expired": True})
        elif route == ("POST", "/_control/reset"):
            store.reset()
            controls.clear(counts=True)
            self._json(200, {"reset": True})
        elif (
            self.command == "POST"
            and path.startswith("/_control/invitations/")
            and path.endswith("/accept")
        ):
            invitation_id = path.split("/")[3]
            with store.transaction():
                accepted = invitation_accept(store, invitation_id)
            if accepted is None:
                self._json(404, {"code": "not_found", "message": "No pending invitation."})
            else:
                self._json(200, accepted)
        else:
            self._json(404, {"code": "not_found", "message": "Unknown control route."})

    def _behaviour(self, body) -> None:
        """Switch a [chosen, uncertain] rule between its plausible behaviours."""
        store = self.server.store
        wrong = [
            name
            for name, value in (body.items() if isinstance(body, dict) else [(None, None)])
            if value not in BEHAVIOURS.get(name, ())
        ]
        if wrong or not body:
            choices = {name: list(values) for name, values in BEHAVIOURS.items()}
            self._json(422, {"code": "validation_error", "message": f"choose from {choices}"})
            return
        store.behaviour.update(body)
        self._json(200, store.behaviour)

    def _json(self, status: int, body, headers: dict | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self._send(status, data, "application/json" if data else None, headers)

    def _send(self, status: int, data: bytes, content_type: str | None, headers=None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)
