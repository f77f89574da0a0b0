"""The system check flags customers provisioned in another environment than the key's."""

import pytest
from django.core.management import call_command

from tenants.checks import customers_environment_check

pytestmark = pytest.mark.django_db


def test_customer_in_another_environment_is_flagged(make_customer):
    make_customer(environment="sandbox")
    assert customers_environment_check(databases=["default"]) == []
    make_customer(environment="live")
    [warning] = customers_environment_check(databases=["default"])
    assert warning.id == "tenants.W001" and "1 customer(s)" in warning.msg


def test_manage_check_with_database_reports_it(make_customer, capsys):
    make_customer(environment="live")
    call_command("check", "--database", "default")
    assert "tenants.W001" in capsys.readouterr().err


def test_other_commands_never_run_the_database_checks(make_customer):
    make_customer(environment="live")
    assert customers_environment_check(databases=None) == []
