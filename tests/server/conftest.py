"""Fault tests against gunicorn: PostgreSQL only (TEST_DATABASE_URL); each test gets its own database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import private_database


@pytest.fixture
def server_database() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("fault tests need PostgreSQL: set TEST_DATABASE_URL (make test does)")
    with private_database(base, "fault") as url:
        yield url


@pytest.fixture
def server_app(server_database: str, tmp_path: Path) -> Iterator[Any]:
    """A Flask app on the private database (tables created) for setting up and checking the data."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import make_config

    flask_app = create_app(make_config(server_database, tmp_path / "storage"))
    with flask_app.app_context():
        db.create_all()
    yield flask_app
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()
