"""The multi-server topology (scripts/cluster.py), started once per module: `make test-cluster` runs these."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from scripts.cluster import Cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    state = tmp_path_factory.mktemp("cluster")
    # PostgreSQL's data directly under /tmp: the postgres user cannot enter pytest's private temporary folder.
    cluster = Cluster(state, data_root=Path(tempfile.mkdtemp(prefix="eurogrants-cluster-pg-")), workers=2,
                      app_servers=2)
    try:
        yield cluster.start(seed=False)
    finally:
        cluster.stop()
        if cluster.postgres is not None:
            cluster.postgres.remove()


@pytest.fixture(scope="module")
def cluster_app(cluster: Cluster) -> Iterator[Flask]:
    """An app of the test's own on the cluster's database, Redis and bucket (to arrange data and check it)."""
    from app import create_app
    from app.extensions import db
    from config import Config, _engine_options

    env = cluster.environment()
    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(env["DATABASE_URL"]),
        "ARGON2_COST": (1, 1024), "SECRET_KEY": env["SECRET_KEY"],
        **{key: env[key] for key in ("REDIS_URL", "JOBS_BACKEND", "JOBS_WORKERS", "STORAGE_BACKEND", "S3_BUCKET",
                                     "S3_PREFIX", "S3_ENDPOINT_URL", "S3_REGION", "S3_ADDRESSING_STYLE")},
        "CELERY_BROKER_URL": env["REDIS_URL"], "CELERY_VISIBILITY_TIMEOUT": int(env["CELERY_VISIBILITY_TIMEOUT"]),
    }
    environment = pytest.MonkeyPatch()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # boto3 reads credentials from the environment
        environment.setenv(key, env[key])
    flask_app = create_app(type("ClusterTestConfig", (Config,), settings))
    yield flask_app
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()
    environment.undo()
