"""An import does not write back over what another process changed in a customer while the
import ran: a Disable made meanwhile stands (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connection, transaction

from tenants.importing import customers_import
from tenants.models import Customer, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(target, errors):
    def run():
        try:
            target()
        except BaseException as exc:  # surfaced by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_a_disable_made_while_an_import_runs_stands(postgres_required, make_customer, tmp_path):
    lost = make_customer(name="Lost", slug="lost", city="Kranj")
    path = tmp_path / "customers.csv"
    path.write_text(
        "name,slug,country,city,members\n"
        "Blocker,blocker,si,Bled,held@blocker.example\n"  # its member's account waits
        "Lost,lost,si,Bled,\n"
    )
    held, release, errors = threading.Event(), threading.Event(), []

    def hold_the_address():  # another transaction creating the same account, not committed
        with transaction.atomic():
            User.objects.create_user(email="held@blocker.example")
            held.set()
            release.wait(30)
            transaction.set_rollback(True)

    holder = _in_thread(hold_the_address, errors)
    held.wait(10)
    # The import reads its chunk (Lost among it), then waits on that account's row.
    importing = _in_thread(lambda: customers_import(path=path, actor="test"), errors)
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock():
        assert time.monotonic() < deadline, "the import never waited"
        time.sleep(0.05)
    # Meanwhile the partner disables Lost (it waits for the import if the import holds it).
    disabling = _in_thread(
        lambda: Customer.objects.filter(pk=lost.pk).update(is_active=False), errors
    )
    time.sleep(0.3)
    release.set()
    for thread in (holder, importing, disabling):
        thread.join(30)
    assert not errors
    lost.refresh_from_db()
    assert lost.city == "Bled" and lost.is_active is False
