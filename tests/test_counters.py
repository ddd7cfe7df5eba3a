"""Shared counters on a real Redis (Debian's redis-server): the log-in lockout counts there when REDIS_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import LoginAttempt
from scripts.cluster import Redis
from tests.conftest import PASSWORD


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    directory = tmp_path_factory.mktemp("redis")
    server = Redis(Path(directory) / "data", Path(directory)).start()
    yield server
    server.stop()


@pytest.fixture
def redis_app(app, make_app, redis_server: Redis):  # type: ignore[no-untyped-def]
    from app.counters import redis_client

    flask_app = make_app(REDIS_URL=redis_server.url)
    redis_client(flask_app).flushdb()
    return flask_app


def test_the_lockout_counts_in_redis_before_the_password_is_checked(redis_app, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    client = redis_app.test_client()
    for _ in range(5):
        assert client.post("/auth/login", data={"email": user.email, "password": "wrong-password"}).status_code == 200
    with redis_app.app_context():
        # The database's record is not what locks: Redis holds the count (shared by every app server).
        db.session.execute(sa.delete(LoginAttempt))
        db.session.commit()
    locked = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "If an account exists for it" in locked.get_data(as_text=True)


def test_a_success_clears_the_count_and_the_window_expires(redis_app, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.counters import redis_client
    from app.services.accounts import LoginKeys

    user = make_user(Role.APPLICANT)
    client = redis_app.test_client()
    for _ in range(4):
        client.post("/auth/login", data={"email": user.email, "password": "wrong-password"})
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    # The lockout counts the e-mail address from the client's network address (the test client's is 127.0.0.1).
    key = "eurogrants:" + LoginKeys.of(user.email, "127.0.0.1").pair
    redis = redis_client(redis_app)
    assert redis.get(key) is None  # cleared by the success
    other = redis_app.test_client()
    other.post("/auth/login", data={"email": user.email, "password": "wrong-password"})
    assert 0 < redis.ttl(key) <= 15 * 60  # a 15-minute window from the first failure
