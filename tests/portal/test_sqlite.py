"""SQLite as a serious default: concurrent launches and syncs never answer 500 there.

Runs in a process of its own on a SQLite file, whatever database the suite uses.
"""

import json
import subprocess
import sys

import pytest

from tests.log_secrets import process_output_check
from tests.portal_process import portal_env
from tests.simulator_process import ROOT

pytestmark = pytest.mark.process


def test_concurrent_launches_and_a_sync_on_sqlite(simulator, account_key, tmp_path):
    env = portal_env(simulator, account_key)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/portal.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "tests.portal.sqlite_load"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    process_output_check(result.stdout + result.stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["statuses"] == {"303": 7 * 5}  # every launch landed; not one 500
