"""The simulator as its own program: accounts, state that survives a restart, loopback only."""

import re
import subprocess
import sys

import pytest

from tests.simulator_process import ROOT, SimulatorProcess

pytestmark = pytest.mark.process


def test_create_account_prints_a_key_of_the_environment(tmp_path):
    sim = SimulatorProcess(tmp_path)
    assert re.fullmatch(r"sk_live_[0-9a-f]{32}", sim.create_account("live"))
    assert re.fullmatch(r"sk_sandbox_[0-9a-f]{32}", sim.create_account("sandbox"))


def test_state_survives_a_restart_and_reset_keeps_accounts(tmp_path):
    sim = SimulatorProcess(tmp_path)
    key = sim.create_account()
    sim.start()
    try:
        assert sim.api("POST", "/entities", key, json={"name": "A", "country": "Italy"}).ok
    finally:
        sim.stop()
    sim.start()
    try:
        assert sim.api("GET", "/entities", key).json()["pagination"]["total"] == 1
        sim.reset()
        assert sim.api("GET", "/entities", key).json()["pagination"]["total"] == 0
    finally:
        sim.stop()


def test_refuses_a_non_loopback_address(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "spaceinvoices.simulator",
            "--db",
            str(tmp_path / "s.db"),
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "loopback only" in result.stderr


def test_control_rejects_a_bad_fault(simulator):
    response = simulator.http.post(
        f"{simulator.url}/_control/faults",
        json={"path_prefix": "/x", "status": 500, "drop": "after"},
    )
    assert response.status_code == 422 and "exactly one" in response.json()["message"]
