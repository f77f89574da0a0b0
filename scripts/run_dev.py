"""`make run`: the portal and the simulator beside it, with demo data, on this machine.

Writes .env with fresh development secrets when there is none (or adds what it lacks),
migrates, starts the simulator (its own process, port and SQLite file) with an account
whose key the portal uses, seeds demo data, starts the portal, prints the URL and logins,
and stops both on Ctrl-C. Running it again reuses all of that.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".env"
PYTHON = sys.executable


def read_env(path: Path = ENV_FILE) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def set_env_value(name: str, value: str) -> None:
    lines = [ln for ln in ENV_FILE.read_text().splitlines() if not ln.startswith(f"{name}=")]
    lines.append(f"{name}={value}")
    ENV_FILE.write_text("\n".join(lines) + "\n")


def env_defaults() -> dict[str, str]:
    """What a development .env holds, with fresh secrets."""
    # token_urlsafe never starts with '$', which django-environ would read as a reference.
    return {
        "DEBUG": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SPACEINVOICES_API_URL": "http://127.0.0.1:8765",
        "SPACEINVOICES_EMBED_URL": "http://127.0.0.1:8765/embed",
        "SIMULATOR_PORT": "8765",
        "SIMULATOR_DB": "var/simulator.sqlite3",
        "PORTAL_PORT": "8000",
        "DEMO_PASSWORD": secrets.token_urlsafe(12),
    }


def env_complete(path: Path) -> list[str]:
    """Write ``path`` with fresh development settings, or add those it lacks (a .env made by
    hand with only the ports, say); what it holds is kept. Returns the names added."""
    present = read_env(path) if path.exists() else {}
    missing = {name: value for name, value in env_defaults().items() if name not in present}
    if missing:
        text = path.read_text() if path.exists() else ""
        if not text:
            text = "# Development settings written by `make run`. Never commit this file.\n"
        elif not text.endswith("\n"):
            text += "\n"
        path.write_text(text + "".join(f"{name}={value}\n" for name, value in missing.items()))
    if path.exists():
        path.chmod(0o600)
    return list(missing)


def manage(*args: str, env: dict) -> None:
    # Its own session: Ctrl-C reaches make run alone, which stops it (no second traceback).
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, start_new_session=True
    )


def key_is_accepted(api_url: str, key: str) -> bool:
    request = Request(f"{api_url}/entities?limit=1", headers={"Authorization": f"Bearer {key}"})
    try:
        with urlopen(request, timeout=5):
            return True
    except HTTPError:
        return False


def wait_for(url: str, process: subprocess.Popen, name: str, seconds: float = 20) -> None:
    """Wait until ``url`` answers while ``process`` (the one that serves it) is alive."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the {name} stopped while starting (exit code {process.returncode})")
        try:
            with urlopen(url, timeout=2):
                return
        except HTTPError:
            return
        except (URLError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"the {name} did not answer at {url} in {seconds:.0f}s")


def port_free(port: str, name: str, variable: str) -> None:
    """Refuse to start when something else already listens there: its answers would be
    taken for ours."""
    with socket.socket() as probe:
        # As the servers themselves bind: a connection of the last run still closing
        # (TIME_WAIT, for a minute) leaves the port free; only a listener holds it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", int(port)))
        except OSError:
            raise SystemExit(
                f"port {port} for the {name} is in use by another process: stop it, or set "
                f"{variable} in .env to a free port"
            ) from None


def urls_agree(values: dict[str, str]) -> None:
    """The portal must call the simulator that make run starts."""
    port = values["SIMULATOR_PORT"]
    for name in ("SPACEINVOICES_API_URL", "SPACEINVOICES_EMBED_URL"):
        if urlsplit(values.get(name, "")).port != int(port):
            raise SystemExit(
                f"{name} in .env does not point at SIMULATOR_PORT {port}: change them together"
            )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    (ROOT / "var").mkdir(exist_ok=True)
    added = env_complete(ENV_FILE)
    if added:
        print(f"Wrote to .env (development values, fresh secrets): {', '.join(added)}.")
    values = read_env()
    env = {**os.environ, **values, "PORTAL_READ_ENV_FILE": "1"}
    sim_port, portal_port = values["SIMULATOR_PORT"], values.get("PORTAL_PORT", "8000")
    api_url = values["SPACEINVOICES_API_URL"]
    try:
        urls_agree(values)
        port_free(sim_port, "simulator", "SIMULATOR_PORT")
        port_free(portal_port, "portal", "PORTAL_PORT")
    except SystemExit as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1

    processes: dict[str, subprocess.Popen] = {}
    code = 0
    try:
        manage("migrate", "--no-input", "-v", "0", env=env)
        manage("collectstatic", "--no-input", "-v", "0", env=env)
        simulator = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "spaceinvoices.simulator",
                "--db",
                values["SIMULATOR_DB"],
                "serve",
                "--port",
                sim_port,
            ],
            cwd=ROOT,
            env=env,
        )
        processes["simulator"] = simulator
        wait_for(f"{api_url}/_control/stats", simulator, "simulator")
        key = values.get("SPACEINVOICES_API_KEY", "")
        if not key or not key_is_accepted(api_url, key):
            key = subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "spaceinvoices.simulator",
                    "--db",
                    values["SIMULATOR_DB"],
                    "create-account",
                    "--environment",
                    "sandbox",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            set_env_value("SPACEINVOICES_API_KEY", key)
            print("Created a simulator account; its key is in .env.")
        env["SPACEINVOICES_API_KEY"] = key
        # The simulator has no rate limit unless asked; a sandbox key's 60 a minute would
        # only slow the demo down.
        env.setdefault("SPACEINVOICES_RATE_LIMIT", "600")
        manage("seed_demo", env=env)
        background = "in-process (no CELERY_BROKER_URL: a bulk action's request waits)"
        if env.get("CELERY_BROKER_URL"):
            celery = [PYTHON, "-m", "celery", "-A", "portal"]
            processes["worker"] = subprocess.Popen(
                [*celery, "worker", "--loglevel=INFO", "--concurrency=2"], cwd=ROOT, env=env
            )
            processes["beat"] = subprocess.Popen(
                [*celery, "beat", "--loglevel=INFO", "--schedule=var/celerybeat-schedule"],
                cwd=ROOT,
                env=env,
            )
            background = "a worker and beat on CELERY_BROKER_URL"
        portal = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{portal_port}", "--noreload"],
            cwd=ROOT,
            env=env,
        )
        processes["portal"] = portal
        wait_for(f"http://127.0.0.1:{portal_port}/healthz", portal, "portal")
        # Invoices made at the simulator now reach the running portal by webhook.
        manage("seed_demo_activity", env=env)
        print(
            f"\n  Portal:    http://127.0.0.1:{portal_port}/\n"
            f"  Admin:     http://127.0.0.1:{portal_port}/admin/\n"
            f"  Simulator: {api_url}\n"
            f"  Background work: {background}\n"
            f"  Logins (password {values['DEMO_PASSWORD']}):\n"
            "    staff@example.com   partner staff (admin site)\n"
            "    ana@acme.example    admin of Acme (user mode) and of Globex (API-key mode)\n"
            "    bo@acme.example     viewer of Acme\n"
            "    cy@globex.example   editor of Globex\n"
            "    dee@globex.example  viewer of Globex (below the key-mode floor: refused)\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        code = serve_until_stopped(processes)
    except KeyboardInterrupt:
        print("make run: stopped while starting.", file=sys.stderr)
    except (subprocess.CalledProcessError, SystemExit) as exc:
        print(f"make run: start-up failed: {exc}", file=sys.stderr)
        code = 1
    finally:
        stop_all(processes)
    return code


def serve_until_stopped(processes: dict[str, subprocess.Popen], grace: float = 10.0) -> int:
    """Watch until one process stops (1) or make run is told to stop (Ctrl-C, SIGTERM: 0),
    then stop them all."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return watch(processes)
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(processes, grace=grace)


def stop_all(processes: dict[str, subprocess.Popen], grace: float = 10.0) -> None:
    """Terminate every process still running; one that will not stop within ``grace``
    seconds is killed."""
    # Stopping now: a second Ctrl-C, or the SIGTERM sent to the whole process group
    # arriving after a child already stopped, must not cut the clean-up short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def watch(processes: dict[str, subprocess.Popen]) -> int:
    """Wait until one process stops; say which, and fail, since the other is then useless."""
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                others = ", ".join(n for n in processes if n != name) or "nothing"
                print(
                    f"make run: the {name} stopped (exit code {process.returncode}); "
                    f"stopping {others}.",
                    file=sys.stderr,
                )
                return 1
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
