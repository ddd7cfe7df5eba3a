"""Counters shared by every app server: Redis when REDIS_URL is set, else the database (one server, `make run`).

The log-in lockout counts attempts (app/services/accounts.py). Either way the attempt is counted atomically and
committed *before* the password is checked: with Redis by INCR (with EXPIRE on the first one), in the database by
one upsert in a transaction of its own. So a burst of concurrent guesses, on one server or several, gets no more
than the allowed number of password checks between them.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import utcnow
from app.extensions import db
from app.models import AttemptCounter

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


def count_attempt(key: str, *, window_seconds: int) -> int:
    """Count one attempt under `key` in a window that starts with the first one, and commit it at once; the count
    so far, this attempt included.

    In the database the count is committed in a transaction of its own, not the request's: it must hold even when
    the request rolls back, and it must not hold a lock while the password is checked.
    """
    client = redis_client()
    if client is not None:
        name = f"eurogrants:{key}"
        with client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            count, _ = pipe.execute()
        return int(count)
    return _count_in_database(key, window_seconds)


def _count_in_database(key: str, window_seconds: int) -> int:
    now = int(utcnow().timestamp())
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    expired = AttemptCounter.expires_at <= now
    # One statement, atomic on both databases: a new key starts at 1; an expired window starts again at 1.
    statement = insert(AttemptCounter).values(key=key, count=1, expires_at=now + window_seconds).on_conflict_do_update(
        index_elements=[AttemptCounter.key],
        set_={
            "count": sa.case((expired, 1), else_=AttemptCounter.count + 1),
            "expires_at": sa.case((expired, now + window_seconds), else_=AttemptCounter.expires_at),
        },
    ).returning(AttemptCounter.count)
    (count,) = _execute_alone(statement)
    return int(count)


def _execute_alone(statement: sa.Executable) -> list[Any]:
    """Run a counter's statement in a transaction of its own, committed at once: a count holds even when the
    request rolls back, and no row lock is left in the request's transaction for a later count to wait on.
    The values it returns (RETURNING), if any."""
    if db.engine.dialect.name == "sqlite" and _session_writes_sqlite():
        # SQLite has one writer at a time, and this request's transaction is it: a transaction of our own would
        # wait for it for ever. Written in it instead; the database's lock serialises the attempts just the same.
        result = db.session.connection().execute(statement)
        return list(result.scalars()) if result.returns_rows else []
    with db.engine.begin() as connection:
        result = connection.execute(statement)
        return list(result.scalars()) if result.returns_rows else []


def execute_alone(statement: sa.Executable) -> None:
    """Run a small bookkeeping write (a token's last use) as the counts are: committed at once, on its own."""
    _execute_alone(statement)


def _session_writes_sqlite() -> bool:
    dbapi_connection = db.session.connection().connection.dbapi_connection
    return bool(getattr(dbapi_connection, "in_transaction", False))


def reset(key: str) -> None:
    """Forget the count under `key`."""
    client = redis_client()
    if client is not None:
        client.delete(f"eurogrants:{key}")
        return
    _execute_alone(sa.delete(AttemptCounter).where(AttemptCounter.key == key))


def discount(key: str) -> None:
    """Take back one attempt counted under `key` (one that turned out not to count, e.g. a successful log-in)."""
    client = redis_client()
    if client is not None:
        name = f"eurogrants:{key}"
        if int(client.decr(name)) <= 0:
            client.delete(name)
        return
    _execute_alone(sa.update(AttemptCounter).where(AttemptCounter.key == key, AttemptCounter.count > 0)
                   .values(count=AttemptCounter.count - 1))


def commit_alone(statement: sa.Executable) -> None:
    """Run a bookkeeping statement (a session's last-seen time, an expired session's removal) in a transaction of
    its own, committed at once: a page that reads (GET) never commits the request's transaction."""
    _execute_alone(statement)
