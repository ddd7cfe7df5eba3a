"""`GET /healthz`: what a load balancer or an orchestrator asks each app server (and `flask health`).

It checks what a request needs from outside the process: the database (SELECT 1), Redis when REDIS_URL is set
(PING) and the storage (a write to the local folder, or HEAD on the bucket). 200 when all answer, 503 otherwise,
with one line per check; nothing private (no URL, no credential) is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, jsonify

from app.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)


def _database() -> None:
    db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()


def _redis() -> None:
    from app.counters import redis_client

    client = redis_client()
    if client is not None:
        client.ping()


def _storage() -> None:
    from app.storage import get_storage

    get_storage().check()


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "redis": _redis, "storage": _storage}


def run_checks(app: Flask) -> tuple[bool, dict[str, Any]]:
    """Every check with its outcome and time; (all fine, details)."""
    results: dict[str, Any] = {}
    healthy = True
    for name, check in CHECKS.items():
        if name == "redis" and not app.config.get("REDIS_URL"):
            results[name] = {"status": "not configured"}
            continue
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # a health check reports every failure instead of raising it
            healthy = False
            results[name] = {"status": "failing", "error": type(error).__name__}
        else:
            results[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
    return healthy, results


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    from flask import current_app

    healthy, checks = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]  # typed as Flask, it is a proxy
    response = jsonify({"status": "ok" if healthy else "failing", "checks": checks})
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503


# Load balancers probe without a CSRF token (Flask-WTF's exempt is called rather than stacked: it is untyped).
csrf.exempt(healthz)
