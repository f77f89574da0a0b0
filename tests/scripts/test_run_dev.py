"""`make run`'s start-up checks: the .env it completes and the ports it refuses."""

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("run_dev", ROOT / "scripts" / "run_dev.py")
run_dev = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_dev)


def test_a_missing_env_is_written_whole_with_fresh_secrets(tmp_path):
    env = tmp_path / ".env"
    added = run_dev.env_complete(env)
    values = run_dev.read_env(env)
    assert set(added) == set(values) >= {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DEMO_PASSWORD"}
    assert len(values["SECRET_KEY"]) >= 50
    assert env.stat().st_mode & 0o077 == 0  # for its owner only
    other = tmp_path / "other.env"
    run_dev.env_complete(other)
    assert run_dev.read_env(other)["SECRET_KEY"] != values["SECRET_KEY"]


def test_an_env_with_only_the_ports_gets_the_rest_and_keeps_its_own(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "PORTAL_PORT=8100\nSIMULATOR_PORT=8865\n"
        "SPACEINVOICES_API_URL=http://127.0.0.1:8865\n"
        "SPACEINVOICES_EMBED_URL=http://127.0.0.1:8865/embed"  # no newline at the end
    )
    added = run_dev.env_complete(env)
    values = run_dev.read_env(env)
    assert "SECRET_KEY" in added and "PORTAL_PORT" not in added
    assert values["PORTAL_PORT"] == "8100"
    assert values["SIMULATOR_PORT"] == "8865"
    assert values["SPACEINVOICES_EMBED_URL"] == "http://127.0.0.1:8865/embed"
    assert values["SECRET_KEY"] and values["FIELD_ENCRYPTION_KEYS"]
    assert run_dev.env_complete(env) == []  # complete now: nothing more added
    assert run_dev.read_env(env) == values


def _time_wait_port() -> int:
    """A port whose listener is gone, with one of its connections closing (TIME_WAIT)."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server's side closes first: its address waits in TIME_WAIT
        client.recv(1)
        client.close()
    return port


def test_a_port_left_closing_by_the_last_run_counts_as_free():
    port = _time_wait_port()
    # The check as it was (no SO_REUSEADDR) refused the port for a minute.
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))
    run_dev.port_free(str(port), "simulator", "SIMULATOR_PORT")  # no SystemExit


def test_a_port_someone_listens_on_is_refused_with_the_variable_to_change():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(SystemExit) as refused:
            run_dev.port_free(str(port), "simulator", "SIMULATOR_PORT")
    assert f"port {port} for the simulator is in use" in str(refused.value)
    assert "SIMULATOR_PORT" in str(refused.value)


def test_a_second_sigterm_while_stopping_is_no_traceback(tmp_path):
    """SIGTERM to the whole process group, or a second Ctrl-C, can reach make run while it
    is already stopping its children: it finishes stopping them (killing one that will not
    stop), exits 0, and prints no KeyboardInterrupt traceback."""
    script = tmp_path / "serving.py"
    source = str(ROOT / "scripts" / "run_dev.py")
    script.write_text(
        "import importlib.util, subprocess, sys\n"
        f"spec = importlib.util.spec_from_file_location('run_dev', {source!r})\n"
        "run_dev = importlib.util.module_from_spec(spec); spec.loader.exec_module(run_dev)\n"
        "stubborn = ('import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); '\n"
        "            'print(\"ready\", flush=True); time.sleep(60)')\n"
        "child = subprocess.Popen([sys.executable, '-c', stubborn])\n"
        "print(child.pid, flush=True)\n"
        "sys.exit(run_dev.serve_until_stopped({'simulator': child}, grace=2))\n"
    )
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    child = int(process.stdout.readline())
    assert process.stdout.readline().strip() == "ready"
    os.kill(process.pid, signal.SIGTERM)  # stop: the child ignores its SIGTERM...
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGTERM)  # ...and another arrives while make run waits
    _, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    with pytest.raises(ProcessLookupError):  # killed once its grace ran out, and reaped
        os.kill(child, 0)
