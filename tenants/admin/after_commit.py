"""Upstream work from admin forms, run once the admin's own transaction has committed.

The admin saves a change form inside a transaction; a call to Space Invoices made there
would hold it (and its row locks) open for as long as the call takes, and a crash would
roll back what the call had already done upstream. So the local save commits first.
"""

from collections.abc import Callable

from django.contrib import messages
from django.db import transaction

from spaceinvoices.client import SpaceInvoicesError
from tenants.errors import TenantError


def after_commit(modeladmin, request, work: Callable[[], None]) -> None:
    """Run ``work`` after commit (at once outside a transaction); a typed failure becomes
    an error message on the page, never a traceback."""

    def run() -> None:
        try:
            work()
        except (SpaceInvoicesError, TenantError) as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)

    transaction.on_commit(run)
