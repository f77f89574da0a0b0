"""One run at a time per customer, with a lock that frees itself when its process dies.

No transaction is held across an HTTP call, so row locks cannot keep two runs apart. On
PostgreSQL a session advisory lock does (released with the connection if the process is
killed); elsewhere (SQLite) a lease row with an expiry. Re-entrant within a thread, so a
service that holds it may call another that takes it.
"""

import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tenants.errors import TenantError

# The advisory lock's first key: this portal's locks, apart from anything else's.
LOCK_NAMESPACE = 0x5150
_held = threading.local()


class CustomerBusy(TenantError):
    """Another run is working on this customer; try again when it has finished."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def customer_lock(customer, *, wait: float | None = None):
    """Hold the customer's lock for the block; CustomerBusy after ``wait`` seconds."""
    held = getattr(_held, "ids", None)
    if held is None:
        held = _held.ids = set()
    if customer.pk in held:
        yield
        return
    wait = settings.PORTAL_LOCK_WAIT if wait is None else wait
    lock = _AdvisoryLock(customer) if connection.vendor == "postgresql" else _Lease(customer)
    lock.acquire(wait)
    held.add(customer.pk)
    try:
        yield
    finally:
        held.discard(customer.pk)
        lock.release()


def customer_lock_renew(customer) -> None:
    """Keep this thread's lease alive during a long run (advisory locks need nothing)."""
    held = getattr(_held, "ids", set())
    if connection.vendor != "postgresql" and customer.pk in held:
        _Lease(customer).renew()


def _poll(try_once, wait: float, busy) -> None:
    deadline = time.monotonic() + wait
    while not try_once():
        if time.monotonic() >= deadline:
            raise CustomerBusy(busy())
        time.sleep(0.05)


class _AdvisoryLock:
    def __init__(self, customer) -> None:
        self.customer = customer
        self.key = customer.pk

    def _try(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.key])
            return cursor.fetchone()[0]

    def acquire(self, wait: float) -> None:
        _poll(
            self._try,
            wait,
            lambda: f"Another run is working on {self.customer}; try again when it has finished.",
        )

    def release(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.key])


class _Lease:
    holders: dict[int, str] = {}

    def __init__(self, customer) -> None:
        self.customer = customer

    @staticmethod
    def _expiry():
        return timezone.now() + timedelta(seconds=settings.PORTAL_LOCK_LEASE_SECONDS)

    def _try(self) -> bool:
        from tenants.models import CustomerLease

        holder = _holder()
        try:
            with transaction.atomic():
                CustomerLease.objects.filter(
                    customer=self.customer, expires_at__lt=timezone.now()
                ).delete()
                self._forget_dead_holder()
                CustomerLease.objects.create(
                    customer=self.customer, holder=holder, expires_at=self._expiry()
                )
        except IntegrityError:
            return False
        self.holders[self.customer.pk] = holder
        return True

    def _forget_dead_holder(self) -> None:
        """A lease held by a process of this machine that no longer runs frees at once."""
        from tenants.models import CustomerLease

        lease = CustomerLease.objects.filter(customer=self.customer).first()
        if lease is None:
            return
        host, _, rest = lease.holder.partition(":")
        pid = rest.partition(":")[0]
        if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
            lease.delete()

    def _busy(self) -> str:
        from tenants.models import CustomerLease

        lease = CustomerLease.objects.filter(customer=self.customer).first()
        until = f" (its lease, {lease.holder}, ends at {lease.expires_at:%H:%M:%S} UTC)"
        return (
            f"Another run is working on {self.customer}{until if lease else ''}; try again "
            "when it has finished."
        )

    def acquire(self, wait: float) -> None:
        _poll(self._try, wait, self._busy)

    def renew(self) -> None:
        """Extend the lease; CustomerBusy if it expired and another run took it meanwhile
        (going on would let two runs write at once)."""
        from tenants.models import CustomerLease

        holder = self.holders.get(self.customer.pk)
        kept = CustomerLease.objects.filter(customer=self.customer, holder=holder).update(
            expires_at=self._expiry()
        )
        if not kept:
            raise CustomerBusy(
                f"This run's lease on {self.customer} expired and another run took it; "
                "stopped so that the two do not write at once. Run again."
            )

    def release(self) -> None:
        from tenants.models import CustomerLease

        holder = self.holders.pop(self.customer.pk, None)
        CustomerLease.objects.filter(customer=self.customer, holder=holder).delete()
