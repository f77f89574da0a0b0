"""A tiny HTTP server that answers canned bodies, to hold the client to the documented shapes.

Unlike the simulator it implements nothing: each test queues the answers (status, headers,
body) for a method and path, and reads back the requests the client made.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    params: dict
    headers: dict
    body: object
    client_port: int = 0  # tells one kept-alive connection from a new one


@dataclass
class CannedServer:
    answers: dict = field(default_factory=dict)
    seen: list = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(
        self, method: str, path: str, status: int, body=None, headers=None, *, hang_up=False
    ) -> None:
        """Queue one answer; a body that is not bytes is sent as JSON. With ``hang_up`` the
        server closes the connection after it without saying so (as an idle timeout does)."""
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        self.answers.setdefault((method, path), []).append(
            (status, headers or {}, body or b"", hang_up)
        )

    def start(self) -> "CannedServer":
        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                canned.seen.append(
                    Seen(
                        self.command,
                        url.path,
                        dict(parse_qsl(url.query)),
                        dict(self.headers),
                        json.loads(raw) if raw else None,
                        self.client_address[1],
                    )
                )
                queue = canned.answers.get((self.command, url.path)) or [(599, {}, b"", False)]
                status, headers, body, hang_up = queue.pop(0) if len(queue) > 1 else queue[0]
                self.close_connection = hang_up
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
