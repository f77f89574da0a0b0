"""The client as Django settings configure it: one shared transport per process.

The only module of this package that reads settings.
"""

import hashlib
import secrets
import time
from contextlib import AbstractContextManager, suppress
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from . import contract
from .budget import Ahead, CallBudget
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


class CacheCounter:
    """Counters in a Django cache, shared by every process when it is Redis.

    ``hit(key, timeout)`` counts one and returns the count, creating the counter (expiring
    after ``timeout`` seconds) if need be. On Redis that is one round trip (INCR, and
    EXPIRE NX in the same pipeline); Django's own ``incr`` asks EXISTS first, and a missing
    key costs an ``add`` and another ``incr``: five round trips per launch became three."""

    def __init__(self, cache) -> None:
        self.cache = cache
        raw = getattr(cache, "_cache", None)
        self._redis = raw if hasattr(raw, "get_client") else None

    def hit(self, key: str, timeout: int) -> int:
        if self._redis is not None:
            full = self.cache.make_and_validate_key(key)
            pipeline = self._redis.get_client(full, write=True).pipeline(transaction=False)
            pipeline.incr(full)
            pipeline.expire(full, timeout, nx=True)  # only the window's first hit sets it
            return pipeline.execute()[0]
        return self._hit_in_cache(key, timeout)

    def hit_then(
        self, key: str, timeout: int, *, limit: int, then: tuple[str, int], then_limit: int
    ) -> tuple[int, int | None]:
        """``hit(key, timeout)``, then, only if that count is within ``limit`` and the
        ``then`` counter (a ``(key, timeout)``) is still below ``then_limit``, a hit of it:
        both counts, the second None if not counted. On Redis one round trip: a script
        decides on the server, where a pipeline could not."""
        if self._redis is not None:
            names = [self.cache.make_and_validate_key(k) for k in (key, then[0])]
            client = self._redis.get_client(names[0], write=True)
            counts = client.eval(_HIT_THEN, 2, *names, timeout, limit, then[1], then_limit)
            return counts[0], (counts[1] if len(counts) > 1 else None)
        count = self._hit_in_cache(key, timeout)
        if count > limit or (self.cache.get(then[0]) or 0) >= then_limit:
            return count, None
        return count, self._hit_in_cache(*then)

    def give_back(self, key: str) -> None:
        """One hit less (a unit taken and not used); nothing if the counter has expired."""
        if self._redis is not None:
            name = self.cache.make_and_validate_key(key)
            # DECR only an existing counter: one that expired meanwhile is not recreated.
            self._redis.get_client(name, write=True).eval(_DECR_IF_EXISTS, 1, name)
            return
        with suppress(ValueError):  # expired: nothing to give back to
            self.cache.decr(key)

    def _hit_in_cache(self, key: str, timeout: int) -> int:
        try:
            return self.cache.incr(key)
        except ValueError:
            # The first hit of the window. add() is atomic: of two racing first hits one
            # creates the counter, the other counts on it.
            return 1 if self.cache.add(key, 1, timeout=timeout) else self.cache.incr(key)


# KEYS: the counted key, the key counted only within the limits; ARGV: the first's expiry,
# its limit, the second's expiry, its limit. EXPIRE NX: only a window's first hit sets it.
_HIT_THEN = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
if count > tonumber(ARGV[2]) then return {count} end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[4]) then return {count} end
local spent = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3], 'NX')
return {count, spent}
"""
_DECR_IF_EXISTS = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end"
)


# Keyed by the settings it is built from, so a changed setting gets a new one.
@lru_cache(maxsize=1)
def _budget(limit: int, period: float, bulk_share: float) -> CallBudget:
    return CallBudget(
        counter=CacheCounter(caches["default"]), limit=limit, period=period, bulk_share=bulk_share
    )


def rate_limit_per_minute() -> int:
    """The configured budget, else the documented default for the account key's kind."""
    environment = contract.key_environment(settings.SPACEINVOICES_API_KEY)
    default = contract.RATE_LIMIT_PER_MINUTE.get(
        environment, min(contract.RATE_LIMIT_PER_MINUTE.values())
    )
    return settings.SPACEINVOICES_RATE_LIMIT or default


def _configured_budget() -> CallBudget:
    return _budget(
        rate_limit_per_minute(),
        settings.SPACEINVOICES_RATE_PERIOD,
        settings.SPACEINVOICES_BULK_SHARE,
    )


def before_request() -> None:
    """Before each HTTP request to Space Invoices: never inside a transaction, and within
    the portal's share of the rate limit (waits while it is spent)."""
    no_transaction_open()
    _configured_budget().take()


def call_budget_ahead() -> AbstractContextManager[Ahead]:
    """The next request to Space Invoices inside the block may have its unit of the rate
    limit taken ahead, together with another count (``count_with``): one round trip."""
    return _configured_budget().ahead()


@lru_cache(maxsize=1)
def _transport(
    base_url: str, connect_timeout: float, read_timeout: float, retries: int, backoff: float
):
    return Transport(
        base_url=base_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retry=RetryPolicy(max_retries=retries, backoff=backoff),
        before_request=before_request,
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


def launch_key_name(entity_id: str) -> str:
    """The name of a key-mode launch's key, made now (``contract.launch_key_name``)."""
    return contract.launch_key_name(
        entity_id=entity_id,
        issued_at=int(time.time()),
        nonce=secrets.token_hex(4),
        secret=_launch_key_secrets()[0],
    )


def launch_key_issued(name: str | None, entity_id: str) -> int | None:
    """When a launch's key of that name was made, or None if the portal never named it;
    names made under a retired secret key (``SECRET_KEY_FALLBACKS``) still count."""
    for secret in _launch_key_secrets():
        issued = contract.launch_key_issued(name, entity_id=entity_id, secret=secret)
        if issued is not None:
            return issued
    return None


def _launch_key_secrets() -> list[bytes]:
    return _secrets_derived(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=1)
def _secrets_derived(key: str, fallbacks: tuple[str, ...]) -> list[bytes]:
    # One secret for this purpose alone, derived from Django's (as its own signing does):
    # a tag made with it proves nothing anywhere else.
    salt = b"spaceinvoices.factory.launch_key_name:"
    return [hashlib.sha256(salt + k.encode()).digest() for k in (key, *fallbacks)]
