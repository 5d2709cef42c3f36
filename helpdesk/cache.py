"""One Redis connection pool, and one client, per process for Django's cache.

Django keeps cache objects in a context-local store, so a server that runs each request in
a fresh context (an ASGI server, our WSGI bridge) builds a new cache object - and with it a
new connection pool and a new TCP connection to Redis - on every request. Handing out one
pool per process and URL makes every request reuse warm connections.

Django's Redis cache also builds a new `redis.Redis` client for every cache call, and
building one fills a table of some 500 response callbacks: 0.2 ms, more than the call
itself. A client is thread-safe, so each pool keeps one.
"""

from __future__ import annotations

import os
import threading

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedConnectionPool(redis.ConnectionPool):
    _pools: dict[tuple[str, int], redis.ConnectionPool] = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **options) -> redis.ConnectionPool:
        key = (url, os.getpid())  # a forked worker must not share its parent's sockets
        with cls._lock:
            pool = cls._pools.get(key)
            if pool is None:
                pool = redis.ConnectionPool.from_url(url, **options)
                cls._pools[key] = pool
            return pool


class _CacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = getattr(pool, "helpdesk_client", None)
        if client is None:
            client = pool.helpdesk_client = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _CacheClient

    def clear(self) -> bool:
        """Delete this instance's keys only: Django's `clear` is FLUSHDB, which would also wipe
        whatever else shares the Redis database (another instance, another test run)."""
        client = self._cache.get_client(None, write=True)
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
        return True
