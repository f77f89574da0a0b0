"""Run as a process: concurrent launches and a concurrent sync on a SQLite file.

``python -m tests.portal.sqlite_load`` with DATABASE_URL=sqlite:///… and the simulator's
URL and key in the environment. Prints one JSON line: the status of every launch and the
errors the threads met.
"""

import json
import os
import threading
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from tenants.models import Customer, Membership, User  # noqa: E402
from tenants.services import customer_provision, members_sync  # noqa: E402

THREADS, LAUNCHES = 8, 5


def main() -> None:
    call_command("migrate", verbosity=0)
    customer = Customer.objects.create(name="Load", slug="load", country="Slovenia")
    users = [User.objects.create_user(email=f"u{n}@load.example") for n in range(THREADS)]
    for user in users:
        Membership.objects.create(user=user, customer=customer, role="admin")
    customer = customer_provision(customer=customer, actor="load")
    statuses, errors = Counter(), []
    start = threading.Barrier(THREADS + 1)

    def launches(user):
        client = Client()
        client.force_login(user)
        start.wait()
        try:
            for _ in range(LAUNCHES):
                statuses[client.post(reverse("open_invoicing", args=["load"])).status_code] += 1
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    def syncs():
        start.wait()
        try:
            for _ in range(3):
                members_sync(customer=customer, actor="load")
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=launches, args=(u,)) for u in users[1:]]
    threads.append(threading.Thread(target=syncs))
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=120)
    print(json.dumps({"statuses": statuses, "errors": errors}))


if __name__ == "__main__":
    main()
