"""Counters shared by every app server: Redis when REDIS_URL is set, else the database (one server, `make run`).

The log-in lockout counts failed attempts per e-mail address. With Redis the attempt is counted atomically
(INCR, with EXPIRE on the first one) *before* the password is checked, so a burst of guesses spread over
several app servers gets no more than the allowed number of tries between them.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def redis_client(app: Flask | None = None) -> Any | None:
    """The process's Redis client for REDIS_URL (None when Redis is not configured)."""
    url = str((app or current_app).config.get("REDIS_URL") or "")
    if not url:
        return None
    with _lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                          health_check_interval=30)
            _clients[url] = client
    return client


def count_attempt(key: str, *, window_seconds: int) -> int | None:
    """Count one attempt under `key` in a window that starts with the first one; the count so far, or None
    without Redis (the caller then counts in the database)."""
    client = redis_client()
    if client is None:
        return None
    name = f"eurogrants:{key}"
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, window_seconds, nx=True)
        count, _ = pipe.execute()
    return int(count)


def reset(key: str) -> None:
    client = redis_client()
    if client is not None:
        client.delete(f"eurogrants:{key}")
