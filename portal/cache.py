"""Django's Redis cache, keeping one client object per server instead of making one per call.

Django builds a new ``redis.Redis`` for every cache operation, and redis-py fills a dict of
several hundred response callbacks in each: on a launch (the session, the rate limit and
the call budget) that cost more CPU than the round trips themselves. A client object is
safe to share between threads (its connection pool hands each thread its own connection)
and survives a fork (the pool notices the new process and starts afresh).
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _KeptClients(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                pool = self._get_connection_pool(write)
                client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    """``CACHE_URL=redis://…`` selects this backend (see portal.settings)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _KeptClients
