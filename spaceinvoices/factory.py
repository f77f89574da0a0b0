"""The client as Django settings configure it: one shared transport per process.

The only module of this package that reads settings.
"""

from functools import lru_cache

from django.conf import settings
from django.db import connection

from . import contract
from .client import RetryPolicy, SpaceInvoicesClient, Transport


class TransactionOpenError(RuntimeError):
    """A programming error: a call to Space Invoices inside a database transaction, which
    would hold its locks (on SQLite, the whole database) for as long as the call takes."""


def no_transaction_open() -> None:
    """Refuse a call while a transaction is open; blocks that the test framework opens
    around a whole test are not ours and are allowed."""
    ours = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
    if ours:
        raise TransactionOpenError("a call to Space Invoices inside a database transaction")


# Keyed by the settings it is built from, so a changed setting gets a new transport.
@lru_cache(maxsize=1)
def _transport(
    base_url: str, connect_timeout: float, read_timeout: float, retries: int, backoff: float
):
    return Transport(
        base_url=base_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retry=RetryPolicy(max_retries=retries, backoff=backoff),
        before_request=no_transaction_open,
    )


def account_client() -> SpaceInvoicesClient:
    """The partner's account-key client; ``.with_key(entity_key)`` for an entity's."""
    transport = _transport(
        settings.SPACEINVOICES_API_URL,
        settings.SPACEINVOICES_CONNECT_TIMEOUT,
        settings.SPACEINVOICES_TIMEOUT,
        settings.SPACEINVOICES_MAX_RETRIES,
        settings.SPACEINVOICES_RETRY_BACKOFF,
    )
    return SpaceInvoicesClient(transport=transport, api_key=settings.SPACEINVOICES_API_KEY)


def launch_url(token: str) -> str:
    """The configured embed URL carrying a freshly minted token."""
    return contract.embed_url(settings.SPACEINVOICES_EMBED_URL, token)
