"""A stand-in for the portal's side of webhooks: records what Space Invoices sends, answers
a chosen status to the first attempts, then (optionally) forwards to the real receiver."""

import hashlib
import hmac
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def hmac_signature(secret: str, body: bytes) -> str:
    """The documented header, computed here independently of the code under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Received:
    headers: dict
    body: bytes
    answered: int


class WebhookSink:
    """``fail_first`` requests get ``fail_status``; the rest go to ``forward_to`` (its
    answer passed back) or get 200."""

    def __init__(self, *, fail_first: int = 0, fail_status: int = 500, forward_to: str = ""):
        self.fail_first, self.fail_status, self.forward_to = fail_first, fail_status, forward_to
        self.received: list[Received] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    failing = len(sink.received) < sink.fail_first
                status = sink.fail_status if failing else sink._forward(self.headers, body)
                with sink.lock:
                    sink.received.append(Received(dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _forward(self, headers, body: bytes) -> int:
        if not self.forward_to:
            return 200
        wanted = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        request = urllib.request.Request(self.forward_to, data=body, headers=wanted, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
