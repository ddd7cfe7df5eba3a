"""Stopping the server stops the letter workers: no process of the job pool outlives the server (issue 11, item 7).

Each case serves the real app (`wsgi:app`, the development configuration read from the environment, the suite's
database) the way people run it, makes it render a small letter batch on its process pool, then signals the
server and waits, by polling with a generous deadline, until every process that descended from it has gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.server.serving import Server
from tests.support import free_port

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 120  # generous on a busy 2-core machine; the test returns as soon as the processes are gone

COMMANDS = {
    "flask run": [str(BIN / "flask"), "--app", "wsgi", "run", "--no-reload", "--port", "{port}"],
    "flask run --reload": [str(BIN / "flask"), "--app", "wsgi", "run", "--reload", "--port", "{port}"],
    "gunicorn": [str(BIN / "gunicorn"), "--workers", "1", "--threads", "2", "--worker-class", "gthread",
                 "--bind", "127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in children.read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _identity(pid: int) -> tuple[str, str] | None:
    """(start time, state) of a process from /proc/<pid>/stat; None once it has gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19], fields[0]  # starttime (field 22) and state (field 3)


def _alive(pid: int, started: str) -> bool:
    identity = _identity(pid)
    # A zombie has exited (nobody reaped it yet); another start time means the pid was reused.
    return identity is not None and identity[0] == started and identity[1] != "Z"


def _command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return "?"


@pytest.fixture
def letters_to_render(app: Flask) -> dict[str, Any]:
    """A finalised run whose five letters are still to be written, and an officer's API token."""
    from app.enums import Role
    from app.extensions import db
    from app.services.accounts import issue_token
    from tests.factories import make_letter_scenario, make_staff

    with app.app_context():
        applicant = make_staff(Role.APPLICANT, "applicant@shutdown.test", organisation="Baltic Cluster Alliance",
                               country="LT")
        officer = make_staff(Role.OFFICER, "officer@shutdown.test", organisation="European Commission", country="BE")
        run = make_letter_scenario(applicant, code="SHUTDOWN-CALL")["run"]
        token = issue_token(officer, label="shutdown")
        db.session.commit()
        return {"run": run.id, "token": token}


@pytest.fixture
def server_env(app: Flask, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JOBS_", "FLASK_", "WERKZEUG_", "EUROGRANTS_", "GUNICORN_"))}
    env.update(DATABASE_URL=database_url, STORAGE_DIR=app.config["STORAGE_DIR"], JOBS_WORKERS="1",
               EUROGRANTS_ENV="development", RATELIMIT_STORAGE_URI="memory://", PYTHONDONTWRITEBYTECODE="1")
    return env


@pytest.fixture
def serve(server_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    servers: list[Server] = []

    def start(kind: str) -> Server:
        port = free_port()
        command = [part.format(port=port) for part in COMMANDS[kind]]
        servers.append(Server(command, server_env, port, log=tmp_path / f"server-{len(servers)}.log"))
        return servers[-1]

    yield start
    for server in servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)  # leftovers keep the process group of their server
        server.stop()


def _render_letters_on_the_pool(server: Server, letters: dict[str, Any]) -> None:
    status, batch = server.request("POST", f"/api/v1/selections/{letters['run']}/letters", token=letters["token"])
    assert status == 202, batch
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not batch["finished"]:
        assert time.monotonic() < deadline, f"the batch did not finish: {batch}"
        time.sleep(0.2)
        status, batch = server.request("GET", f"/api/v1/letter-batches/{batch['id']}", token=letters["token"])
        assert status == 200, batch
    assert (batch["done"], batch["failed"]) == (5, 0), batch


@pytest.mark.parametrize(("kind", "signum"), [
    pytest.param("flask run", signal.SIGTERM, id="flask-run-SIGTERM"),
    pytest.param("flask run", signal.SIGINT, id="flask-run-SIGINT"),
    pytest.param("flask run", signal.SIGKILL, id="flask-run-SIGKILL"),
    pytest.param("flask run --reload", signal.SIGTERM, id="flask-run-reload-SIGTERM"),
    pytest.param("gunicorn", signal.SIGTERM, id="gunicorn-SIGTERM"),
])
def test_stopping_the_server_leaves_no_process_of_the_job_pool_behind(serve, letters_to_render, kind, signum):
    server = serve(kind)
    _render_letters_on_the_pool(server, letters_to_render)
    family = {pid: _identity(pid) for pid in _descendants(server.process.pid)}
    lines = {pid: _command_line(pid) for pid in family}
    assert any("multiprocessing.spawn" in line for line in lines.values()), lines  # the pool's worker
    assert any("resource_tracker" in line for line in lines.values()), lines

    os.kill(server.process.pid, signum)  # the server's own process only, as `kill` or a supervisor does
    server.process.wait(timeout=DEADLINE_SECONDS)
    deadline = time.monotonic() + DEADLINE_SECONDS
    survivors = list(family)
    while survivors and time.monotonic() < deadline:
        time.sleep(0.1)
        survivors = [pid for pid, identity in family.items() if identity and _alive(pid, identity[0])]
    assert not survivors, [lines[pid] for pid in survivors]
