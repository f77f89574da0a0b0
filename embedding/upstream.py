"""The client as configured by settings: one shared transport per process."""

from functools import lru_cache

from django.conf import settings

from .client import RetryPolicy, SpaceInvoicesClient, Transport


# Keyed by the settings it is built from, so a changed setting gets a new transport.
@lru_cache(maxsize=1)
def _transport(base_url: str, connect_timeout: float, read_timeout: float, retries: int):
    return Transport(
        base_url=base_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retry=RetryPolicy(max_retries=retries),
    )


def account_client() -> SpaceInvoicesClient:
    """The partner's account-key client; ``.with_key(entity_key)`` for an entity's."""
    transport = _transport(
        settings.SPACEINVOICES_API_URL,
        settings.SPACEINVOICES_CONNECT_TIMEOUT,
        settings.SPACEINVOICES_TIMEOUT,
        settings.SPACEINVOICES_MAX_RETRIES,
    )
    return SpaceInvoicesClient(transport=transport, api_key=settings.SPACEINVOICES_API_KEY)
