"""The simulator's own levers, absent from the real service: faults, latency, counts."""

import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

ID_SEGMENT = re.compile(r"^(ent|user|einv|inv|cust|item|ek|sk|wh|pay)_")


def path_template(path: str) -> str:
    """``/entities/users/user_ab12/token`` → ``/entities/users/{id}/token``; no key survives."""
    return "/".join("{id}" if ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


@dataclass
class Fault:
    path_prefix: str
    method: str | None
    remaining: int
    status: int | None = None
    body: object = None
    delay_ms: int | None = None
    hold_ms: int | None = None
    drop: str | None = None
    malformed: bool = False
    retry_after: int = 1

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and self.method in (None, method)


def parse_fault(spec: object) -> Fault:
    """A fault from its JSON spec; ValueError with a readable reason when it is wrong."""
    if not isinstance(spec, dict) or not isinstance(spec.get("path_prefix"), str):
        raise ValueError("path_prefix (string) is required")
    count = spec.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    kinds = [
        k for k in ("status", "delay_ms", "hold_ms", "drop", "malformed") if spec.get(k) is not None
    ]
    # A delay may come before a drop: the request stalls, then is dropped (or acted on).
    if len(kinds) != 1 and sorted(kinds) != ["delay_ms", "drop"]:
        raise ValueError(
            "give exactly one of status, delay_ms, hold_ms, drop, malformed (or delay_ms with drop)"
        )
    for name in ("delay_ms", "hold_ms"):
        if spec.get(name) is not None and (not isinstance(spec[name], int) or spec[name] < 0):
            raise ValueError(f"{name} must be a non-negative integer")
    if spec.get("drop") not in (None, "before", "after"):
        raise ValueError("drop must be 'before' or 'after'")
    method = spec.get("method")
    return Fault(
        path_prefix=spec["path_prefix"],
        method=method.upper() if isinstance(method, str) else None,
        remaining=count,
        status=spec.get("status"),
        body=spec.get("body"),
        delay_ms=spec.get("delay_ms"),
        hold_ms=spec.get("hold_ms"),
        drop=spec.get("drop"),
        malformed=bool(spec.get("malformed")),
        retry_after=int(spec.get("retry_after", 1)),
    )


class Controls:
    """Faults, latency and request counts; in memory, shared by every server thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.latency_ms = 0
        self.requests: Counter[str] = Counter()
        # The latest API requests, so tests can see which X-Request-Id each write carried.
        self.journal: deque[dict] = deque(maxlen=1000)
        self.in_flight = 0  # API requests being answered now (tests wait for 0)
        # Space Invoices' rate limit [doc: a per-minute sliding window, 429 + Retry-After],
        # per credential here; 0 is off (the default, so that tests are not slowed by it).
        self.rate_limit = 0
        self.rate_period = 60.0
        self._calls_by_key: dict[str, deque[float]] = {}
        self.rate_limited = 0  # 429s answered

    def count(self, method: str, path: str, request_id: str | None = None, body=None) -> None:
        with self._lock:
            key = f"{method} {path_template(path)}"
            self.requests[key] += 1
            self.journal.append({"request": key, "request_id": request_id, "body": body})
            self.in_flight += 1

    def journal_copy(self) -> list[dict]:
        with self._lock:
            return list(self.journal)

    def done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def rate_check(self, key: str) -> float | None:
        """Count a call made with ``key``; None when within the limit, else the seconds
        until the sliding minute has room again (the call is then refused, not counted)."""
        with self._lock:
            if not self.rate_limit:
                return None
            now = time.monotonic()
            calls = self._calls_by_key.setdefault(key, deque())
            while calls and now - calls[0] >= self.rate_period:
                calls.popleft()
            if len(calls) >= self.rate_limit:
                self.rate_limited += 1
                return self.rate_period - (now - calls[0])
            calls.append(now)
            return None

    def rate_limit_set(self, limit: int, period: float = 60.0) -> None:
        """``limit`` requests per credential in any ``period`` seconds (0: no limit)."""
        with self._lock:
            self.rate_limit, self.rate_period = limit, period
            self._calls_by_key.clear()

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self, *, counts: bool) -> None:
        with self._lock:
            self.faults.clear()
            self.latency_ms = 0
            if counts:  # a full reset; clearing the faults keeps the rate limit
                self.requests.clear()
                self.journal.clear()
                self.rate_limit, self.rate_period = 0, 60.0
                self._calls_by_key.clear()
                self.rate_limited = 0
