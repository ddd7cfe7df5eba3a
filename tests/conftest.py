"""Fixtures shared by the whole suite: an app on SQLite or PostgreSQL, clean tables, factories, log-in."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.clock import set_clock, utcnow
from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import User
from app.services.accounts import create_user
from config import TestingConfig, _engine_options
from tests.support import private_database

# The worlds of the selection and letter tests, the evaluators' clock and the mail catcher, shared by several folders.
pytest_plugins = ["tests.selection_worlds", "tests.letter_worlds", "tests.evaluation_clock", "tests.mailbox"]

PASSWORD = "correct-horse-battery"


def pytest_configure(config: pytest.Config) -> None:
    """The French and German catalogues compiled (.mo, not in git) when the .po files are newer, as `make setup`
    does: a test run straight after a pull speaks the catalogues of the code it tests."""
    import runpy

    runpy.run_path(str(Path(__file__).parent.parent / "scripts" / "catalogues.py"))["compile_catalogues"]()


def _database_url(tmp_dir: Path, worker: str) -> str:
    """The test database: TEST_DATABASE_URL (PostgreSQL) with one database per xdist worker, else SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_dir / 'test.db'}"
    url = sa.make_url(base)
    name = url.database if worker == "master" else f"{url.database}_{worker}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def make_config(url: str, storage: Path, **overrides: Any) -> type[TestingConfig]:
    options = _engine_options(url)
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c lock_timeout=10000 -c statement_timeout=60000"}
    attributes = {
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options, "STORAGE_DIR": str(storage),
        # Cheap hashing in tests; production keeps argon2-cffi's defaults.
        "ARGON2_COST": (1, 1024),
    }
    attributes.update(overrides)
    return type("SuiteConfig", (TestingConfig,), attributes)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    return _database_url(tmp_path_factory.mktemp("db"), worker_id)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    flask_app = create_app(make_config(database_url, tmp_path_factory.mktemp("storage")))
    with flask_app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
    yield flask_app
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _push_request_context() -> None:
    """Override pytest-flask's: a context shared by every request would leak `g` (and the user) between them."""


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Override pytest-flask's, which keeps its last request's context pushed (`with app.test_client()`): every
    later request of the test, from any client, would then run in that context and act as its signed-in user."""
    return app.test_client()


def _empty_all_tables() -> None:
    # Sessions first: on PostgreSQL an open transaction would block TRUNCATE on its table lock.
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app starts and ends with empty tables."""
    if "app" not in request.fixturenames:
        yield
        return
    flask_app: Flask = request.getfixturevalue("app")
    yield
    with flask_app.app_context():
        _empty_all_tables()
    # The erasure register outside the database is part of the instance's state too.
    Path(flask_app.config["ERASURE_REGISTER"]).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def live_server_url(app: Flask) -> Iterator[str]:
    """The suite's app served over HTTP on 127.0.0.1 (a thread), for browser and server tests."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("chromium is missing: run scripts/setup.sh --test")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database of the suite's kind (a SQLite file, or a new PostgreSQL database)."""
    import uuid

    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        return
    with private_database(base, "empty") as url:
        yield url


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Another app on the suite's database with some settings changed; its connections are closed afterwards
    (a pool left to the garbage collector closes them in the middle of some later test)."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        apps.append(create_app(make_config(database_url, tmp_path, **overrides)))
        return apps[-1]

    yield factory
    for other in apps:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create and commit an account; returns it detached-safe (attributes loaded)."""
    counter = iter(range(1, 10_000))

    def factory(*roles: Role, email: str | None = None, organisation: str | None = "Test Organisation",
                country: str = "BE", organisation_type: OrganisationType = OrganisationType.CLUSTER,
                password: str = PASSWORD, full_name: str = "Test User") -> User:
        roles = roles or (Role.APPLICANT,)
        email = email or f"{roles[0].value}{next(counter)}@example.test"
        with app.app_context():
            user = create_user(None, email=email, password=password, full_name=full_name, roles=roles,
                               organisation_name=organisation, country=country,
                               organisation_type=organisation_type)
            db.session.commit()
            db.session.refresh(user)
            _ = user.roles, user.organisation
            db.session.expunge_all()
            return user

    return factory


@pytest.fixture
def login(app: Flask) -> Callable[[FlaskClient, User], FlaskClient]:
    """Log a client in through the real log-in pages (with the code when two-factor sign-in is on; officers and
    administrators set it up first, as the app requires: tests/two_factor.py)."""

    def do_login(client: FlaskClient, user: User, password: str = PASSWORD) -> FlaskClient:
        from tests.two_factor import sign_in

        response = sign_in(app, client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


@pytest.fixture
def client_as(app: Flask, make_user: Callable[..., User],
              login: Callable[[FlaskClient, User], FlaskClient]) -> Callable[..., FlaskClient]:
    """A fresh test client logged in as a new user with the given roles."""

    def factory(*roles: Role, **kwargs: Any) -> FlaskClient:
        return login(app.test_client(), make_user(*roles, **kwargs))

    return factory


@pytest.fixture
def seeded(app: Flask) -> None:
    """The three reference calls."""
    from app.seeds.calls import seed_reference_calls

    with app.app_context():
        seed_reference_calls()
        db.session.commit()


def api_token(app: Flask, user: User) -> str:
    from app.services.accounts import issue_token

    with app.app_context():
        token = issue_token(db.session.get(User, user.id), label="test")  # type: ignore[arg-type]
        db.session.commit()
        return token


@pytest.fixture
def token_for(app: Flask) -> Callable[[User], str]:
    return lambda user: api_token(app, user)


@pytest.fixture
def frozen_clock() -> Iterator[Any]:
    """The app's clock, standing still unless a test moves it (`frozen_clock.move(days=…)`)."""
    now = [utcnow().replace(microsecond=0)]

    def move(**delta: float) -> None:
        now[0] = now[0] + timedelta(**delta)

    set_clock(lambda: now[0])
    yield SimpleNamespace(now=lambda: now[0], move=move)
    set_clock(None)
