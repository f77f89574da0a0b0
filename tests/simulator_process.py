"""Starts a simulator process on a free port with throwaway state, and drives its controls."""

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


class SimulatorProcess:
    """One simulator, as its own process, speaking HTTP on a loopback port."""

    def __init__(self, state_dir: Path) -> None:
        self.db = state_dir / "simulator.sqlite3"
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.http = requests.Session()

    def _cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "spaceinvoices.simulator", "--db", str(self.db), *args],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return out.stdout.strip()

    @classmethod
    def attached(cls, *, url: str, db: str) -> "SimulatorProcess":
        """One already running (``make mutate`` starts them once per run), never stopped here."""
        process = cls(Path(db).parent)
        process.db = Path(db)
        process.url = url
        return process

    def start(self) -> "SimulatorProcess":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spaceinvoices.simulator",
                "--db",
                str(self.db),
                "serve",
                "--port",
                "0",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1].strip()
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def create_account(self, environment: str = "sandbox") -> str:
        return self._cli("create-account", "--environment", environment)

    @property
    def embed_url(self) -> str:
        return f"{self.url}/embed"

    # Control API ------------------------------------------------------------------------

    def stats(self) -> dict:
        return self.http.get(f"{self.url}/_control/stats", timeout=10).json()

    def bodies(self, key: str) -> list:
        """The JSON body of each request to ``key``, oldest first."""
        journal = self.http.get(f"{self.url}/_control/journal", timeout=10).json()["data"]
        return [entry["body"] for entry in journal if entry["request"] == key]

    def request_ids(self, key: str) -> list[str | None]:
        """The X-Request-Id of each request to ``key`` ("PATCH /entities/{id}"), oldest first."""
        journal = self.http.get(f"{self.url}/_control/journal", timeout=10).json()["data"]
        return [entry["request_id"] for entry in journal if entry["request"] == key]

    def requests_to(self, key: str) -> int:
        return self.stats()["requests"].get(key, 0)

    def wait_until_idle(self, seconds: float = 15) -> None:
        """Wait until no API request is being answered (a delayed one has finished)."""
        deadline = time.monotonic() + seconds
        while self.stats()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.stats()["in_flight"] == 0, "the simulator is still answering"

    def fault(self, **spec) -> None:
        response = self.http.post(f"{self.url}/_control/faults", json=spec, timeout=10)
        response.raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete(f"{self.url}/_control/faults", timeout=10).raise_for_status()

    def latency(self, ms: int) -> None:
        self.http.post(f"{self.url}/_control/latency", json={"ms": ms}, timeout=10)

    def rate_limit(self, limit: int, period_seconds: float = 60) -> None:
        """Answer 429 (with Retry-After) past ``limit`` calls per key in any period."""
        response = self.http.post(
            f"{self.url}/_control/rate_limit",
            json={"limit": limit, "period_seconds": period_seconds},
            timeout=10,
        )
        response.raise_for_status()

    def behaviour(self, **choices: str) -> None:
        """Switch a [chosen, uncertain] rule, e.g. ``send_invite_false="pending_invitation"``."""
        response = self.http.post(f"{self.url}/_control/behaviour", json=choices, timeout=10)
        response.raise_for_status()

    def expire_replays(self) -> None:
        """Forget kept X-Request-Id outcomes, as 24 hours passing would."""
        self.http.post(f"{self.url}/_control/replays/expire", timeout=10).raise_for_status()

    def reset(self) -> None:
        self.http.post(f"{self.url}/_control/reset", timeout=10).raise_for_status()

    def clock_advance(self, days: int) -> int:
        """Move document dates ``days`` ahead; how many invoices became overdue."""
        response = self.http.post(f"{self.url}/_control/clock", json={"days": days}, timeout=10)
        response.raise_for_status()
        return response.json()["became_overdue"]

    def webhook_retries_scale(self, scale: float) -> None:
        """Compress the retry schedule: 0.001 makes 1 minute 60 ms."""
        response = self.http.post(
            f"{self.url}/_control/webhooks", json={"retry_scale": scale}, timeout=10
        )
        response.raise_for_status()

    def deliveries(self) -> list[dict]:
        response = self.http.get(f"{self.url}/_control/webhooks/deliveries", timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def deliveries_settled(self, seconds: float = 20) -> list[dict]:
        """Wait until no delivery is pending (delivered, failed or dropped); all of them."""
        deadline = time.monotonic() + seconds
        while True:
            deliveries = self.deliveries()
            if all(d["state"] != "pending" for d in deliveries):
                return deliveries
            if time.monotonic() > deadline:
                raise AssertionError(f"deliveries still pending: {deliveries}")
            time.sleep(0.05)

    def accept_invitation(self, invitation_id: str) -> requests.Response:
        return self.http.post(f"{self.url}/_control/invitations/{invitation_id}/accept", timeout=10)

    def api(self, method: str, path: str, key: str, **kwargs) -> requests.Response:
        """A raw call, to see what the simulator holds independently of our client."""
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        return self.http.request(method, self.url + path, headers=headers, timeout=10, **kwargs)
