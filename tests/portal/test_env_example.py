"""`.env.example` documents every variable the settings, gunicorn and the simulator read."""

import re

from tests.portal.test_settings import ROOT

READS = re.compile(r'(?:env\.\w+|_required|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"')


def test_every_variable_read_is_documented():
    sources = [
        "portal/settings.py",
        "gunicorn.conf.py",
        "spaceinvoices/simulator/cli.py",
        "scripts/run_dev.py",
    ]
    read = {name for path in sources for name in READS.findall((ROOT / path).read_text())}
    documented = set(
        re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    assert len(read) > 30
    assert read - documented == set()
