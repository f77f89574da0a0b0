"""Two concurrent provisioning runs for one customer end with exactly one entity (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from tenants.models import Customer, EntityApiKey
from tenants.services import customer_provision


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_provision_one_customer_once(postgres_required, simulator):
    customer = Customer.objects.create(
        name="Race", slug="race", country="Austria", access_mode="api_key"
    )
    simulator.latency(50)  # widen the window in which the two runs overlap
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(customer_provision(customer=customer, actor="thread"))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert {r.entity_id for r in results} == {Customer.objects.get(pk=customer.pk).entity_id}
    assert simulator.stats()["entities"] == 1
    assert EntityApiKey.objects.filter(customer=customer).count() == 1
    assert simulator.requests_to("POST /entities") == 1  # the second run waited, then saw it
