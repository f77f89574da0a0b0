"""The per-customer lock: a lease (SQLite) that a dead process cannot hold for long."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.locking import CustomerBusy, _Lease, customer_lock
from tenants.models import CustomerLease

pytestmark = pytest.mark.django_db


def lease_held_by(customer, holder: str) -> None:
    CustomerLease.objects.create(
        customer=customer, holder=holder, expires_at=timezone.now() + timedelta(minutes=5)
    )


def test_a_lease_of_a_dead_process_on_this_machine_frees_at_once(make_customer):
    customer = make_customer()
    lease_held_by(customer, f"{socket.gethostname()}:999999999:dead")
    lease = _Lease(customer)
    lease.acquire(0.2)
    assert (
        CustomerLease.objects.get(customer=customer).holder
        != f"{socket.gethostname()}:999999999:dead"
    )
    lease.release()
    assert not CustomerLease.objects.filter(customer=customer).exists()


def test_a_live_holder_blocks_with_a_message_that_says_until_when(make_customer):
    customer = make_customer(name="Busy Ltd")
    lease_held_by(customer, "elsewhere:1:abc")
    with pytest.raises(CustomerBusy) as caught:
        _Lease(customer).acquire(0.1)
    assert "Busy Ltd" in str(caught.value) and "elsewhere:1:abc" in str(caught.value)
    assert "ends at" in str(caught.value)


def test_an_expired_lease_is_taken_over(make_customer):
    customer = make_customer()
    CustomerLease.objects.create(
        customer=customer, holder="elsewhere:1:old", expires_at=timezone.now() - timedelta(1)
    )
    lease = _Lease(customer)
    lease.acquire(0.1)
    assert CustomerLease.objects.get(customer=customer).holder != "elsewhere:1:old"
    lease.release()


def test_a_run_whose_lease_was_taken_stops_at_its_next_write(make_customer):
    customer = make_customer()
    lease = _Lease(customer)
    lease.acquire(0.1)
    CustomerLease.objects.filter(customer=customer).update(holder="elsewhere:2:new")
    with pytest.raises(CustomerBusy, match="another run took it"):
        lease.renew()
    lease.release()
    assert CustomerLease.objects.get(customer=customer).holder == "elsewhere:2:new"


def test_the_lock_is_reentrant_in_one_thread(make_customer):
    customer = make_customer()
    with customer_lock(customer, wait=0.1), customer_lock(customer, wait=0.1):
        pass  # the inner one does not wait for the outer
