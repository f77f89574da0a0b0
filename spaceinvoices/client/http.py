"""Keep-alive HTTP/1.1 to Space Invoices over the standard library's ``http.client``.

The client sends one small JSON request at a time per thread and reads one small answer.
``requests`` (sessions, adapters, hooks, cookie jars, proxy lookups) spent more CPU on
that than the rest of a launch together, so the transport speaks to this pool instead: a
few idle connections per origin, reused while the server keeps them open.
"""

import http.client
import os
import select
import ssl
import threading
from dataclasses import dataclass
from email.message import Message
from json import dumps, loads
from typing import Any
from urllib.parse import urlencode, urlsplit


class ConnectionFailed(Exception):
    """No answer came: the server could not be reached (``sent`` False: the request never
    left), or it closed the connection, or took too long, after the request was sent."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class TimedOut(ConnectionFailed):
    """Connecting or reading the answer took longer than its timeout."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message  # looked up case-insensitively
    content: bytes
    path: str  # as sent, query included

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return loads(self.content)


class ConnectionPool:
    """Connections to one origin (``http://host:port`` or ``https://…``), at most ``size``
    kept idle; each is used by one thread at a time. Safe to share between threads."""

    def __init__(
        self,
        origin: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        size: int = 32,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) origin: {origin!r}")
        self.secure = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.size = size
        # Certificates and host names are checked, as by any browser.
        self.tls = tls or (ssl.create_default_context() if self.secure else None)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json: Any = None,
        params: dict | None = None,
    ) -> Response:
        """Send one request and read its whole answer; ConnectionFailed (or TimedOut) when
        none came. Never retries: whether another try is safe is the caller's to judge."""
        if params:
            path = f"{path}?{urlencode(params, doseq=True)}"
        body = None
        if json is not None:
            body = dumps(json, separators=(",", ":")).encode()
            headers = {**headers, "Content-Type": "application/json"}
        connection = self._take()
        if connection.sock is None:
            # Connected first, on its own: a failure here means nothing was sent.
            try:
                connection.connect()
            except TimeoutError:
                connection.close()
                raise TimedOut("no connection in time", sent=False) from None
            except OSError as exc:
                connection.close()
                raise ConnectionFailed(type(exc).__name__, sent=False) from None
        try:
            connection.request(method, path, body=body, headers=headers)
            connection.sock.settimeout(self.read_timeout)
            answer = connection.getresponse()
            content = answer.read()
        except TimeoutError:
            connection.close()
            raise TimedOut("no answer in time") from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise ConnectionFailed(type(exc).__name__) from None
        if answer.will_close:
            connection.close()
        else:
            self._give_back(connection)
        return Response(answer.status, answer.headers, content, path)

    def _take(self) -> http.client.HTTPConnection:
        with self._lock:
            if self._pid != os.getpid():  # a forked child never shares its parent's sockets
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                connection = self._idle.pop()
                if _still_open(connection):
                    return connection
                connection.close()
        if self.secure:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.connect_timeout, context=self.tls
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.size and self._pid == os.getpid():
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection the server has not closed: nothing to read on it yet (a closed
    one reads as ready, with nothing). Checked before reuse, so that a connection the server
    dropped while idle never costs a request its only attempt."""
    sock = connection.sock
    if sock is None:
        return False
    poller = select.poll()  # not select(): a busy worker may hold descriptors past 1024
    try:
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False
