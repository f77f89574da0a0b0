"""The benchmark's stack: a database, a simulator, and the portal under gunicorn."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from tests.simulator_process import ROOT, SimulatorProcess

BENCH_DB = "portal_bench"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """PostgreSQL (as in production) when it answers here, else a SQLite file."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "postgres", "-c"]
    try:
        subprocess.run(
            [*psql, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        subprocess.run(
            [*psql, f"CREATE DATABASE {BENCH_DB}"], check=True, capture_output=True, timeout=30
        )
        return f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
    except (OSError, subprocess.SubprocessError):
        return f"sqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/portal.sqlite3"


def cache_url() -> str:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/14", socket_timeout=2).ping()
        return "redis://127.0.0.1:6379/14"
    except Exception:
        return "locmemcache://bench"


class Stack:
    """Everything the benchmark runs against; ``env`` configures the portal processes."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        self.simulator = SimulatorProcess(self.workdir).start()
        self.account_key = self.simulator.create_account("sandbox")
        self.gunicorns: list[subprocess.Popen] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))},
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_READ_ENV_FILE": "0",
            "DEBUG": "0",
            "SECRET_KEY": Fernet.generate_key().decode() * 2,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "PORTAL_BASE_URL": "http://127.0.0.1",
            "EMAIL_URL": "smtp://127.0.0.1:25",  # the benchmark sends no mail
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DATABASE_URL": database_url(),
            "CACHE_URL": cache_url(),
            # The portal's own store (PostgreSQL; the session, its user and the membership
            # in one round trip); the peer keeps Django's, in PostgreSQL behind Redis. The
            # portal as it was before that store (``before_after``) names Django's instead.
            "SESSION_ENGINE": os.environ.get("BENCH_PORTAL_SESSION_ENGINE", "tenants.sessions"),
            "SPACEINVOICES_API_URL": self.simulator.url,
            "SPACEINVOICES_EMBED_URL": self.simulator.embed_url,
            "SPACEINVOICES_API_KEY": self.account_key,
            "PORTAL_HTTPS": "0",
            # Raised for the run: the benchmark measures launches, not the limits.
            "PORTAL_LAUNCH_RATE": "1000000/m",
            "PORTAL_LOGIN_FAILURE_LIMIT": "1000000",
            "SPACEINVOICES_RATE_LIMIT": "1000000",  # the queue benchmark sets its own
            "STATIC_ROOT_OVERRIDE": str(self.workdir / "static"),
            "LOG_LEVEL": "INFO",
        }
        os.environ.update(self.env)

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=600,
        )

    def gunicorn(
        self, *, workers: int, threads: int, app: str = "portal.wsgi", env: dict | None = None
    ) -> tuple[str, subprocess.Popen]:
        port = free_port()
        log = (self.workdir / f"gunicorn-{port}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--backlog",
                "256",
            ],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.gunicorns.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/healthz", timeout=2).ok:
                    return url, process
            except requests.RequestException:
                time.sleep(0.2)
        tail = (self.workdir / f"gunicorn-{port}.log").read_text()[-2000:]
        raise RuntimeError(f"gunicorn {app} did not start:\n{tail}")

    def stop(self) -> None:
        """Every server stopped (killed if it will not stop), and the work directory gone,
        whatever fails on the way."""
        try:
            for process in self.gunicorns:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            self.simulator.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def worker_pids(master: subprocess.Popen) -> list[str]:
    return Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()


def cpu_seconds(pids: list[str]) -> float:
    """User and system CPU the processes have used so far (from /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (the 14th and 15th)
    return total / os.sysconf("SC_CLK_TCK")


def service_cpu_seconds(simulator_pid: int) -> dict[str, dict[str, float]]:
    """CPU used so far by each process of the services beside the contenders: PostgreSQL
    (every backend and helper), Redis, the simulator, and this load generator; per pid, so
    that a process started or ended meanwhile is not miscounted (``service_cpu_used``)."""
    groups = {"postgresql": {}, "redis": {}, "simulator": {}, "load": {}}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            seconds = cpu_seconds([entry.name])
        except OSError:  # ended meanwhile
            continue
        if name == "postgres":
            groups["postgresql"][entry.name] = seconds
        elif name == "redis-server":
            groups["redis"][entry.name] = seconds
        elif entry.name == str(simulator_pid):
            groups["simulator"][entry.name] = seconds
        elif entry.name == str(os.getpid()):
            groups["load"][entry.name] = seconds
    return groups


def service_cpu_used(before: dict, after: dict) -> dict[str, float]:
    """Seconds each service used between two readings: a process started meanwhile counts
    whole, one that ended meanwhile is lost (PostgreSQL's backends live as long as the
    workers' connections, which outlast a run)."""
    return {
        group: sum(seconds - before[group].get(pid, 0.0) for pid, seconds in pids.items())
        for group, pids in after.items()
    }


def machine_cpu_seconds() -> float:
    """CPU every core spent not idle since boot (from /proc/stat): the whole machine's
    share of a run, load generator, simulator, database and cache included."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    """Resident memory of each gunicorn worker (children of the master), in MB."""
    sizes = []
    for pid in worker_pids(master):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes
