"""Concurrent clients: portal launches, and the same clients minting tokens directly upstream."""

import re
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import requests

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def quantile(values: list[float], q: int) -> float:
    """The ``q``-th percentile (inclusive: within the values seen)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Result:
    latencies_ms: list[float]
    errors: int
    seconds: float

    def summary(self) -> dict:
        return {
            "requests": len(self.latencies_ms),
            "errors": self.errors,
            "p50_ms": round(quantile(self.latencies_ms, 50), 2),
            "p95_ms": round(quantile(self.latencies_ms, 95), 2),
            "p99_ms": round(quantile(self.latencies_ms, 99), 2),
            "max_ms": round(max(self.latencies_ms), 2),
            "throughput_rps": round(len(self.latencies_ms) / self.seconds, 1),
        }


def run(actions: list[Callable[[], bool]], per_client: int) -> Result:
    """Each action is one client's request; every client repeats its own, in parallel."""
    latencies, errors, lock = [], [0], threading.Lock()
    barrier = threading.Barrier(len(actions) + 1)

    def client(action):
        barrier.wait()
        mine, failed = [], 0
        for _ in range(per_client):
            started = time.perf_counter()
            ok = action()
            mine.append((time.perf_counter() - started) * 1000)
            failed += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return Result(latencies, errors[0], time.perf_counter() - started)


class PortalClient:
    """A logged-in browser, reduced to the requests: log in, then click Open invoicing."""

    def __init__(self, base_url: str, email: str, password: str, slug: str) -> None:
        self.http = requests.Session()
        self.launch_url = f"{base_url}/customers/{slug}/open-invoicing/"
        page = self.http.get(f"{base_url}/accounts/login/", timeout=10)
        token = CSRF_INPUT.search(page.text).group(1)
        answer = self.http.post(
            f"{base_url}/accounts/login/",
            timeout=10,
            allow_redirects=False,
            data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        )
        if answer.status_code != 302:
            raise RuntimeError(f"login failed for {email}: {answer.status_code}")
        self.csrf = self.http.cookies["csrftoken"]

    def launch(self) -> bool:
        answer = self.http.post(
            self.launch_url, headers={"X-CSRFToken": self.csrf}, allow_redirects=False, timeout=30
        )
        return answer.status_code == 303 and "token=" in answer.headers.get("Location", "")


class PeerClient(PortalClient):
    """The same browser, signed in at the peer (Django's stock backend, the same session
    store), clicking the peer's bare view instead."""


class FrameworkClient:
    """The same click at the framework line: no sign-in, nothing to check."""

    def __init__(self, base_url: str) -> None:
        self.http = requests.Session()
        self.launch_url = f"{base_url}/customers/bench/open-invoicing/"

    def launch(self) -> bool:
        answer = self.http.post(self.launch_url, allow_redirects=False, timeout=30)
        return answer.status_code == 303 and "token=" in answer.headers.get("Location", "")


class FloorClient:
    """The same click without the portal: mint the token straight at Space Invoices."""

    def __init__(self, api_url: str, account_key: str, entity_id: str, user_id: str) -> None:
        self.http = requests.Session()
        self.url = f"{api_url}/entities/users/{user_id}/token"
        self.headers = {"Authorization": f"Bearer {account_key}", "x-entity-id": entity_id}

    def launch(self) -> bool:
        headers = {**self.headers, "X-Request-Id": uuid.uuid4().hex}
        answer = self.http.post(self.url, headers=headers, json={"ttl": 120}, timeout=30)
        return answer.status_code == 201
