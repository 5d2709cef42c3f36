"""One Redis connection pool per process for Django's cache.

Django keeps cache objects in a context-local store, so a server that runs each request in
a fresh context (an ASGI server, our WSGI bridge) builds a new cache object - and with it a
new connection pool and a new TCP connection to Redis - on every request. Handing out one
pool per process and URL makes every request reuse warm connections.
"""

from __future__ import annotations

import os
import threading

import redis


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
