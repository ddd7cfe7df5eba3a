"""The multi-server topology on 127.0.0.1: `make cluster` starts it, `make cluster-stop` stops exactly that.

    python scripts/cluster.py start    PostgreSQL, Redis, an S3 server (moto), two gunicorn app servers behind
                                       HAProxy, two Celery workers; the reference calls and demo data
    python scripts/cluster.py stop     stop every process `start` recorded (and nothing else)
    python scripts/cluster.py status   what runs, and /healthz through the load balancer

Every port is chosen free; state (pids, ports, logs, the environment) lives in `.cluster/` (gitignored),
PostgreSQL's data in /tmp (PostgreSQL runs as the postgres user). The same classes start the topology for the
multi-server tests (tests/cluster/), once per module.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
STATE_DIR = ROOT / ".cluster"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], *, what: str, seconds: float = 90, process: Any = None) -> None:
    """Poll `check` until it holds; a process that exits meanwhile fails at once (with its log)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.poll()}")
        with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
            if check():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


def http_get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process: with its pid, it names the process (pids are reused)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


class Service:
    """A process of ours in its own session (so its children go with it), logging to a file."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_dir: Path,
                 cwd: Path = ROOT) -> None:
        self.name, self.command, self.env, self.cwd = name, command, env, cwd
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None

    def start(self) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdout=log,  # noqa: S603
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.pid = self.process.pid
        return self

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.pid is not None and _start_time(self.pid) is not None

    def record(self) -> dict[str, Any]:
        assert self.pid is not None  # noqa: S101
        return {"name": self.name, "pid": self.pid, "start_time": _start_time(self.pid)}

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (gunicorn's master and workers, a worker's pool)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait_dead(self, timeout: float = 30) -> None:
        if self.process is not None:
            self.process.wait(timeout=timeout)
        # Children in the group (gunicorn workers, a Celery pool) may outlive the leader a moment.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.pid or 0, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


class Redis:
    """Debian's redis-server on 127.0.0.1 with an append-only file: queued jobs survive a restart."""

    def __init__(self, directory: Path, log_dir: Path, port: int | None = None) -> None:
        self.directory, self.log_dir, self.port = directory, log_dir, port or free_port()
        self.service: Service | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server is missing: run scripts/setup.sh --test")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.service = Service("redis", [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                         str(self.directory), "--appendonly", "yes", "--appendfsync", "always",
                                         "--save", "", "--protected-mode", "yes", "--daemonize", "no"],
                               env=dict(os.environ), log_dir=self.log_dir).start()
        wait_until(self.ping, what="redis", process=self.service.process)
        return self

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    def restart(self) -> None:
        """Stop (SIGTERM: Redis writes its data) and start again on the same port and data."""
        assert self.service is not None  # noqa: S101
        self.service.stop()
        self.start()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


class MotoS3:
    """moto's S3 server (PyPI's moto[server]): an S3-compatible endpoint for tests and the local cluster."""

    def __init__(self, log_dir: Path, port: int | None = None) -> None:
        self.log_dir, self.port = log_dir, port or free_port()
        self.service: Service | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        self.service = Service("s3", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
                               env=dict(os.environ), log_dir=self.log_dir).start()
        wait_until(lambda: http_get(self.port, "/")[0] == 200, what="moto S3 server", process=self.service.process)
        return self

    def create_bucket(self, name: str) -> None:
        import boto3

        client = boto3.session.Session().client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                                                aws_access_key_id="test", aws_secret_access_key="test")  # noqa: S106
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name)

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


class Postgres:
    """A PostgreSQL instance of our own (initdb in /tmp; as the postgres user when run as root)."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bindirs:
            raise RuntimeError("PostgreSQL is not installed (scripts/setup.sh --test)")
        self.bin, self.root, self.port = bindirs[-1], root, port or free_port()
        self.data = root / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://eurogrants@127.0.0.1:{self.port}/eurogrants"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd="/")  # noqa: S603

    def start(self) -> Postgres:
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            if os.getuid() == 0:
                shutil.chown(self.root, "postgres", "postgres")
                shutil.chown(self.data, "postgres", "postgres")
            self._run("initdb", "-D", str(self.data), "-U", "eurogrants", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8")
            fresh = True
        else:
            fresh = False
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-t", "60", "start",
                  "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        if fresh:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "eurogrants", "eurogrants")
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


HAPROXY_CONFIG = """global
    maxconn 4096
    log stdout format raw local0 warning
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout queue 120s
    # A request whose server refused the connection, or died before answering anything, goes to the other
    # server: nothing reached the app, so nothing can be done twice. Once a server has answered, its answer
    # (even a 502) is the client's.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    option http-server-close
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    # roundrobin: a retry that is redispatched goes to the next server (leastconn would pick the dead one again,
    # which has no connections); a refused or reset connection marks the server down at once (observe layer4),
    # before the health check would notice, and the check brings it back (rise 2).
    balance roundrobin
    # Each server gets at most as many requests as its workers have threads (maxconn on each server line);
    # the rest wait in HAProxy's queue, first come first served, for whichever server frees a thread. Without
    # it a rush fills the servers' accept queues, the health checks wait behind the rush, time out, and HAProxy
    # takes a busy but healthy server out.
    timeout check 10s
    option httpchk GET /healthz
    http-check expect status 200
    http-response set-header X-Eurogrants-Server %s
{servers}
"""


class Haproxy:
    """Debian's HAProxy in front of the app servers, health-checking each on /healthz."""

    def __init__(self, directory: Path, log_dir: Path, backends: list[int], port: int | None = None,
                 server_maxconn: int = 8) -> None:
        self.directory, self.log_dir, self.backends = directory, log_dir, backends
        self.server_maxconn = server_maxconn
        self.port = port or free_port()
        self.service: Service | None = None

    def start(self) -> Haproxy:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(binary).exists():
            raise RuntimeError("haproxy is missing: run scripts/setup.sh --test")
        self.directory.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"    server app{index + 1} 127.0.0.1:{port} maxconn {self.server_maxconn} "
                            "check inter 1s fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down"
                            for index, port in enumerate(self.backends))
        config = self.directory / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=self.port, servers=servers))
        self.service = Service("haproxy", [binary, "-W", "-db", "-f", str(config)], env=dict(os.environ),
                               log_dir=self.log_dir).start()
        wait_until(lambda: http_get(self.port, "/healthz")[0] == 200, what="haproxy", process=self.service.process)
        return self

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


def gunicorn(name: str, env: dict[str, str], log_dir: Path, *, port: int | None = None, workers: int = 2,
             threads: int = 4, app: str = "wsgi:app") -> tuple[Service, int]:
    port = port or free_port()
    service = Service(name, [str(VENV_BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
                             "--workers", str(workers), "--threads", str(threads),
                             "--worker-connections", str(threads),  # see gunicorn.conf.py
                             "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
                             "--log-level", "warning", "--backlog", "2048", "--timeout", "120", app],
                      env=env, log_dir=log_dir).start()
    return service, port


def celery_worker(name: str, env: dict[str, str], log_dir: Path) -> Service:
    return Service(name, [str(VENV_BIN / "celery"), "-A", "app.worker", "worker", "--pool", "solo",
                          "--hostname", f"{name}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                   env=env, log_dir=log_dir).start()


def wait_for_worker(service: Service) -> None:
    wait_until(lambda: "ready." in service.log.read_text(errors="replace"), what=service.name,
               process=service.process, seconds=120)


class Cluster:
    """Everything `make cluster` runs; `start()` then `stop()`, or use it as a context manager."""

    def __init__(self, state_dir: Path, *, data_root: Path | None = None, app_servers: int = 2, workers: int = 2,
                 app_workers: int = 2, app_threads: int = 4, extra_env: dict[str, str] | None = None) -> None:
        self.state_dir, self.logs = state_dir, state_dir / "logs"
        key = zlib.crc32(str(state_dir.resolve()).encode())
        self.data_root = data_root or Path(tempfile.gettempdir()) / f"eurogrants-cluster-{key}"
        self.app_servers, self.worker_count = app_servers, workers
        self.app_workers, self.app_threads = app_workers, app_threads
        self.extra_env = extra_env or {}
        self.postgres: Postgres | None = None
        self.redis: Redis | None = None
        self.s3: MotoS3 | None = None
        self.apps: list[tuple[Service, int]] = []
        self.workers: list[Service] = []
        self.haproxy: Haproxy | None = None
        self.env: dict[str, str] = {}

    @property
    def url(self) -> str:
        assert self.haproxy is not None  # noqa: S101
        return f"http://127.0.0.1:{self.haproxy.port}"

    def environment(self) -> dict[str, str]:
        if not (self.postgres and self.redis and self.s3):
            raise RuntimeError("start PostgreSQL, Redis and S3 first")
        return {
            "DATABASE_URL": self.postgres.url, "REDIS_URL": self.redis.url,
            "JOBS_BACKEND": "celery", "JOBS_WORKERS": str(self.worker_count), "CELERY_VISIBILITY_TIMEOUT": "20",
            "JOBS_SWEEP_SECONDS": "5", "JOBS_SWEEP_AFTER_SECONDS": "20",
            "STORAGE_BACKEND": "s3", "S3_BUCKET": "eurogrants", "S3_PREFIX": "cluster",
            "S3_ENDPOINT_URL": self.s3.endpoint, "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path",
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "SECRET_KEY": self.secret_key(), "PUBLIC_BASE_URL": "http://127.0.0.1",
            "EUROGRANTS_INSTANCE": str(self.state_dir / "instance"),
            **self.extra_env,
        }

    def server_maxconn(self, servers: int | None = None) -> int:
        """Requests HAProxy lets into each app server at once. Here every server shares this one host, so together
        they get what one server's threads can run: more requests in flight than the cores can serve only adds
        switching between them (measured: two servers at full width did 0.8x the throughput of one). On hosts
        of their own, give each server its own threads' worth."""
        return max(2, self.app_workers * self.app_threads // (servers or len(self.apps) or self.app_servers))

    def secret_key(self) -> str:
        """One per state folder, kept: sessions and the letters' verification codes survive a restart."""
        path = self.state_dir / "secret_key"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def start(self, *, seed: bool = True) -> Cluster:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            self.postgres = Postgres(self.data_root).start()
            self.redis = Redis(self.state_dir / "redis", self.logs).start()
            self.s3 = MotoS3(self.logs).start()
            self.s3.create_bucket("eurogrants")
            self.env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT), **self.environment()}
            self.env.pop("TEST_DATABASE_URL", None)
            self.flask("db", "upgrade")
            if seed:
                self.flask("seed", "demo")
            for index in range(self.app_servers):
                self.apps.append(gunicorn(f"app{index + 1}", self.env, self.logs, workers=self.app_workers,
                                          threads=self.app_threads))
            for index in range(self.worker_count):
                self.workers.append(celery_worker(f"worker{index + 1}", self.env, self.logs))
            for service, port in self.apps:
                wait_until(lambda port=port: http_get(port, "/healthz")[0] == 200, what=service.name,
                           process=service.process)
            self.haproxy = Haproxy(self.state_dir / "haproxy", self.logs, [port for _, port in self.apps],
                                   server_maxconn=self.server_maxconn()).start()
            for worker in self.workers:
                wait_for_worker(worker)
        except BaseException:
            self.stop()
            raise
        self._write_state()
        return self

    def flask(self, *args: str) -> str:
        result = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], env=self.env, cwd=ROOT,  # noqa: S603
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def restart_app(self, index: int) -> None:
        """Start an app server again on its port (after a test killed it) and wait until HAProxy uses it."""
        service, port = self.apps[index]
        service.wait_dead()
        self.apps[index] = gunicorn(service.name, self.env, self.logs, port=port, workers=self.app_workers,
                                    threads=self.app_threads)
        wait_until(lambda: http_get(port, "/healthz")[0] == 200, what=service.name,
                   process=self.apps[index][0].process)

    def restart_worker(self, index: int) -> None:
        service = self.workers[index]
        service.wait_dead()
        self.workers[index] = celery_worker(service.name, self.env, self.logs)
        wait_for_worker(self.workers[index])

    def processes(self) -> Iterator[Service]:
        yield from (service for service, _ in self.apps)
        yield from self.workers
        for part in (self.haproxy, self.s3, self.redis):
            if part is not None and part.service is not None:
                yield part.service

    def _write_state(self) -> None:
        assert self.postgres is not None  # noqa: S101
        state = {
            "processes": [service.record() for service in self.processes()],
            "postgres": {"bin": str(self.postgres.bin), "root": str(self.postgres.root), "port": self.postgres.port},
            "url": self.url,
        }
        (self.state_dir / "state.json").write_text(json.dumps(state, indent=2))
        (self.state_dir / "env").write_text(
            "".join(f"export {k}={v}\n" for k, v in sorted(self.environment().items())))

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.haproxy is not None:
            self.haproxy.stop()
        for service, _ in self.apps:
            service.stop()
        for part in (self.s3, self.redis):
            if part is not None:
                part.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.postgres is not None:
            self.postgres.remove()


def stop_recorded(state_dir: Path = STATE_DIR) -> list[str]:
    """Stop what a detached `start` recorded: each process only if it is still the one we started."""
    state_file = state_dir / "state.json"
    if not state_file.exists():
        return []
    state = json.loads(state_file.read_text())
    stopped = []
    for entry in state["processes"]:
        pid = entry["pid"]
        if entry["start_time"] is None or _start_time(pid) != entry["start_time"]:
            continue  # gone already, or the pid now belongs to another process
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _start_time(pid) == entry["start_time"]:
            time.sleep(0.1)
        if _start_time(pid) == entry["start_time"]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        stopped.append(entry["name"])
    postgres = Postgres(Path(state["postgres"]["root"]), port=state["postgres"]["port"])
    postgres.stop()
    stopped.append("postgres")
    state_file.unlink()
    return stopped


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "start":
        if (STATE_DIR / "state.json").exists():
            print("cluster: already started (make cluster-stop first)", file=sys.stderr)
            return 1
        started = time.monotonic()
        cluster = Cluster(STATE_DIR).start()
        print(f"cluster: up in {time.monotonic() - started:.0f} s; logs in {cluster.logs}")
        for service, port in cluster.apps:
            print(f"  {service.name}: gunicorn on 127.0.0.1:{port} (pid {service.pid})")
        for worker in cluster.workers:
            print(f"  {worker.name}: celery worker (pid {worker.pid})")
        if not (cluster.redis and cluster.s3 and cluster.postgres):
            raise RuntimeError("the cluster did not start")
        print(f"  redis {cluster.redis.url}, S3 (moto) {cluster.s3.endpoint}, PostgreSQL {cluster.postgres.url}")
        print(f"  load balancer (HAProxy): {cluster.url}")
        print(f"try:  curl {cluster.url}/healthz")
        print("      source .cluster/env   # the same settings for flask commands; make cluster-stop stops it all")
        return 0
    if command == "stop":
        stopped = stop_recorded()
        print(f"cluster: stopped {', '.join(stopped)}" if stopped else "cluster: nothing was running")
        return 0
    if command == "status":
        state_file = STATE_DIR / "state.json"
        if not state_file.exists():
            print("cluster: not running")
            return 1
        state = json.loads(state_file.read_text())
        for entry in state["processes"]:
            alive = entry["start_time"] is not None and _start_time(entry["pid"]) == entry["start_time"]
            print(f"  {entry['name']}: pid {entry['pid']} {'running' if alive else 'GONE'}")
        port = int(state["url"].rsplit(":", 1)[1])
        status, body = http_get(port, "/healthz")
        print(f"  {state['url']}/healthz: {status} {body.decode()}")
        return 0 if status == 200 else 1
    print("usage: scripts/cluster.py start|stop|status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
