"""seed_demo: idempotent demo data, provisioned in the simulator."""

import pytest
from django.core.management import CommandError, call_command

from tenants.models import Customer, Membership, User

pytestmark = pytest.mark.django_db


def test_seed_twice_gives_the_same_demo(simulator, capsys):
    call_command("seed_demo", password="demo-password-1")
    call_command("seed_demo", password="demo-password-1")
    assert "Demo data ready." in capsys.readouterr().out
    assert set(Customer.objects.values_list("slug", "access_mode")) == {
        ("acme", "user"),
        ("globex", "api_key"),
    }
    assert all(c.is_provisioned for c in Customer.objects.all())
    assert Membership.objects.count() == 5
    assert User.objects.get(email="staff@example.com").is_superuser
    assert User.objects.get(email="bo@acme.example").check_password("demo-password-1")
    assert simulator.stats()["entities"] == 2


def test_a_demo_customer_offboarded_meanwhile_is_left_so_and_the_rest_is_seeded(simulator, capsys):
    from tenants.services import customer_offboard

    call_command("seed_demo", password="demo-password-1")
    customer_offboard(customer=Customer.objects.get(slug="acme"), actor="t")
    capsys.readouterr()
    call_command("seed_demo", password="demo-password-1")  # make run's next start
    call_command("seed_demo_activity")
    out = capsys.readouterr().out
    assert "acme: offboarded, left as it is" in out and "Demo data ready." in out
    assert "1 demo invoice(s) made." in out  # globex's one: acme has no key left
    acme = Customer.objects.get(slug="acme")
    assert acme.offboarded_at and not acme.memberships.exists()  # nobody added back
    assert not User.objects.get(email="bo@acme.example").is_active
    assert simulator.stats()["entities"] == 2


def test_a_short_password_is_refused(db):
    with pytest.raises(CommandError, match="8\\+ characters"):
        call_command("seed_demo", password="short")
