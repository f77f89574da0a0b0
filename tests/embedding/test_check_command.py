"""``manage.py check_spaceinvoices`` against the simulator."""

import pytest
from django.core.management import CommandError, call_command


def test_reports_environment_and_round_trip(simulator, capsys):
    call_command("check_spaceinvoices")
    out = capsys.readouterr().out
    assert "Environment: sandbox" in out and "OK, round trip" in out


def test_rejected_key_fails_without_printing_it(simulator, settings):
    settings.SPACEINVOICES_API_KEY = "sk_sandbox_" + "9" * 32
    with pytest.raises(CommandError) as caught:
        call_command("check_spaceinvoices")
    assert "401" in str(caught.value) and "9" * 32 not in str(caught.value)


def test_unreachable_service_fails_clearly(settings):
    settings.SPACEINVOICES_API_URL = "http://127.0.0.1:9"
    settings.SPACEINVOICES_MAX_RETRIES = 0
    with pytest.raises(CommandError, match="could not be reached"):
        call_command("check_spaceinvoices")


def test_not_an_account_key(settings):
    settings.SPACEINVOICES_API_KEY = "ek_sandbox_" + "9" * 32
    with pytest.raises(CommandError, match="not an account key"):
        call_command("check_spaceinvoices")
