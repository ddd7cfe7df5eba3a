"""Upgrading an empty database gives exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config


def _empty_database_url(tmp_path) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'migrate.db'}", None
    url = sa.make_url(base)
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def test_upgrade_from_empty_gives_the_models_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, drop = _empty_database_url(tmp_path)
    app = create_app(make_config(url, tmp_path))
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert compare_metadata(context, db.metadata) == []
            downgrade(revision="base")
            assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
            db.engine.dispose()
    finally:
        if drop:
            drop()  # type: ignore[operator]
