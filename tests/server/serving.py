"""Serve the real app with gunicorn on 127.0.0.1 for the fault tests (the shape of bench/deadline_rush.py).

`create_server_app()` is the factory gunicorn imports; it reads FAULT_* environment variables.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]


def create_server_app() -> Any:
    """The production app factory with the fault test's database, storage and submission delay."""
    from app import create_app
    from config import Config, _engine_options

    url = os.environ["FAULT_DATABASE_URL"]

    class FaultConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {**_engine_options(url), "pool_size": 5, "max_overflow": 5}
        STORAGE_DIR = os.environ["FAULT_STORAGE_DIR"]
        SECRET_KEY = "fault-tests-only-secret-key-fault-tests-only"  # noqa: S105
        RATELIMIT_ENABLED = False
        ARGON2_COST = (1, 1024)
        SUBMIT_DELAY_SECONDS = float(os.environ.get("FAULT_SUBMIT_DELAY", "0"))

    return create_app(FaultConfig)


class Server:
    """A server process on 127.0.0.1:`port` in a session of its own (its process group is its pid)."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, *, log: Path | None = None) -> None:
        self.port = port
        self._log = log.open("wb") if log is not None else None
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,  # noqa: S603
                                        stdout=self._log, stderr=subprocess.STDOUT if self._log else None)
        self._wait_ready()

    def _wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args[0]} exited with {self.process.returncode}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("GET", "/api/v1/openapi.json", timeout=2)[0] == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.process.args[0]} did not start")

    def request(self, method: str, path: str, *, token: str | None = None, body: Any = None,
                timeout: float = 60) -> tuple[int, Any]:
        """One request on a new connection: (status, parsed JSON or None)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return response.status, parsed

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Gunicorn(Server):
    """A gunicorn master (gthread workers) serving `create_server_app()`."""

    def __init__(self, database_url: str, storage_dir: Path, *, workers: int = 3, threads: int = 4,
                 submit_delay: float = 0) -> None:
        port = free_port()
        env = {**os.environ, "FAULT_DATABASE_URL": database_url, "FAULT_STORAGE_DIR": str(storage_dir),
               "FAULT_SUBMIT_DELAY": str(submit_delay), "JOBS_INLINE": "1"}
        command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--threads",
                   str(threads), "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--chdir",
                   str(ROOT), "--log-level", "warning", "--backlog", "2048", "--timeout", "60",
                   "tests.server.serving:create_server_app()"]
        super().__init__(command, env, port)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],  # noqa: S607
                             capture_output=True, text=True, check=False).stdout
        return [int(pid) for pid in out.split()]


class PrivatePostgres:
    """A second PostgreSQL instance of our own (initdb in a temp dir), so restarting it disturbs nobody else."""

    def __init__(self) -> None:
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bindirs:
            raise RuntimeError("PostgreSQL is not installed")
        # Directly under /tmp: PostgreSQL refuses to run as root, and the postgres user cannot enter pytest's
        # private tmp_path.
        self.root = Path(tempfile.mkdtemp(prefix="eurogrants-fault-pg-"))
        self.bin, self.data, self.port = bindirs[-1], self.root / "pgdata", free_port()
        self.data.mkdir()
        if os.getuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.data, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "eurogrants", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "eurogrants", "fault")
        self.url = f"postgresql+psycopg://eurogrants@127.0.0.1:{self.port}/fault"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-t", "60", "start",
                  "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c max_connections=100")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
