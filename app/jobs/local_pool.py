"""The local backend (JOBS_BACKEND=local, the default): a process pool in the web process.

The pool's processes must not outlive the process that started them (issue 11, item 7). Three layers:
- SIGTERM and SIGINT: `init_app` chains a handler in front of the one in place (SIG_DFL, werkzeug's, gunicorn's
  worker handlers) that ends the pool's processes at once, then lets the previous handler act;
- interpreter exit (gunicorn's graceful exit, werkzeug's reloader child, Ctrl-C): a hook that runs before
  concurrent.futures' own, which would otherwise wait for every queued job of a batch first;
- a lifeline: each worker watches a pipe whose only writing end the parent holds, and exits when it closes, so
  even a parent killed with SIGKILL (werkzeug's reloader does that to its child) leaves no worker behind.
multiprocessing's resource tracker exits by itself once the parent and the workers, its only writers, are gone.
A job cut short stays queued or running in the database; its batch shows as stalled and the next one takes over.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from flask import Flask

from app.enums import JobStatus
from app.extensions import db
from app.jobs.execution import execute, give_up
from app.models import Job

log = logging.getLogger(__name__)

_executor: ProcessPoolExecutor | None = None
_lifeline: Connection | None = None
# Re-entrant: a signal handler runs in the main thread, which may be inside `_pool` (the CLI dispatches there).
_executor_lock = threading.RLock()
_stopped_for_good = False  # set by a signal or the exit hook: no new pool for the rest of the process
_handled_signals: set[int] = set()
_SignalHandler = Callable[[int, FrameType | None], Any]


def init_app(app: Flask) -> None:
    """Make the process end the local pool with itself, when it runs one (JOBS_INLINE unset)."""
    if app.config.get("JOBS_INLINE") or threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread; the exit hook and lifeline remain
    for signum in (signal.SIGTERM, signal.SIGINT):
        if signum in _handled_signals:
            continue
        previous = signal.getsignal(signum)
        if previous == signal.SIG_IGN:
            continue  # the process ignores it (a background job's SIGINT): it is not going anywhere
        signal.signal(signum, _stop_then(previous))
        _handled_signals.add(signum)


def _stop_then(previous: _SignalHandler | int | None) -> _SignalHandler:
    def handler(signum: int, frame: FrameType | None) -> Any:
        _stop_pool_now()
        if callable(previous):
            return previous(signum, frame)
        # The default action (terminate): deliver the signal again with it, so the exit status still says so.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return None

    return handler


def _pool(app: Flask) -> ProcessPoolExecutor | None:
    global _executor, _lifeline
    with _executor_lock:
        if _stopped_for_good:
            return None
        if _executor is None:
            # spawn: never fork a process that may hold threads, locks and open database connections.
            context = multiprocessing.get_context("spawn")
            reader, _lifeline = context.Pipe(duplex=False)
            _executor = ProcessPoolExecutor(
                max_workers=max(1, int(app.config.get("JOBS_WORKERS", 2))), mp_context=context,
                initializer=_watch_lifeline, initargs=(reader,),
            )
        return _executor


def shutdown(wait: bool = True) -> None:
    """Stop the local pool (it is created again on the next dispatch).

    With `wait`, queued jobs run first and the workers exit when done; without, queued jobs are cancelled and the
    workers are ended at once.
    """
    global _executor, _lifeline
    with _executor_lock:
        executor, _executor = _executor, None
        lifeline, _lifeline = _lifeline, None
    if executor is None:
        return
    if wait:
        executor.shutdown(wait=True)
    else:
        _end_workers(executor)
    if lifeline is not None:
        lifeline.close()


def _stop_pool_now() -> None:
    """End the pool's processes and multiprocessing's resource tracker now, for the rest of the process."""
    global _stopped_for_good
    with _executor_lock:
        _stopped_for_good = True
    shutdown(wait=False)


def _end_workers(executor: ProcessPoolExecutor) -> None:
    # No executor.shutdown() here: it takes a lock the interrupted main thread may hold (inside submit), and it
    # would wait for the running jobs. Ending the processes makes the executor's own thread wind it up as broken;
    # its futures are not reported as crashed jobs (see _report_crash).
    processes = list((executor._processes or {}).values())  # no public way to reach them before Python 3.14
    _deliberately_stopped.add(executor)
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    deadline = time.monotonic() + 5
    for process in processes:
        with contextlib.suppress(ValueError):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1)
    # multiprocessing's resource tracker exits when its last writer closes: the workers are gone, and this process
    # closes its end when it exits. Stopping it earlier would unlink semaphores the pool's queues still hold.


_deliberately_stopped: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()


def _stop_at_exit() -> None:
    if _executor is not None:
        _stop_pool_now()


# Before concurrent.futures' own exit hook (these run last registered first), which would wait for every queued
# job; threading's hooks, not atexit's, because they run before the interpreter joins the pool's manager thread.
threading._register_atexit(_stop_at_exit)  # type: ignore[attr-defined]  # private: see above


def _watch_lifeline(lifeline: Connection) -> None:
    """In each worker: exit when the parent's end of the lifeline closes (the parent ended, however it ended)."""
    # Ctrl-C in a terminal reaches the whole process group: the parent decides, and ends us through the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        with contextlib.suppress(OSError):
            multiprocessing.connection.wait([lifeline])
        os._exit(0)

    threading.Thread(target=watch, name="eurogrants-lifeline", daemon=True).start()


def _report_crash(app: Flask, job_id: int, pool: ProcessPoolExecutor) -> Callable[[Future[None]], None]:
    def callback(future: Future[None]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is None or pool in _deliberately_stopped:
            return  # stopped on purpose (the process is ending): the batch shows as stalled, the next takes over
        # The worker died (or could not start) before it could write the outcome itself.
        with app.app_context():
            try:
                mark_crashed(job_id, f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    return callback


def mark_crashed(job_id: int, message: str) -> None:
    """Record that a job's process died before it could write the outcome itself (commits)."""
    job = db.session.get(Job, job_id)
    if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return
    give_up(job, message)
    db.session.commit()
    log.error("job %s (%s) crashed: %s", job_id, job.kind, message)


def submit(app: Flask, job_ids: list[int]) -> None:
    """Start committed jobs on the pool (created on first use)."""
    pool = _pool(app)
    if pool is None:
        # Committed during the process's shutdown (gunicorn lets running requests finish): the jobs stay queued,
        # and their batch shows as stalled until the next one takes over.
        log.warning("the process is stopping: jobs %s were not started", job_ids)
        return
    spec = app_spec(app)
    for job_id in job_ids:
        future = pool.submit(run_job, spec, job_id)
        future.add_done_callback(_report_crash(app, job_id, pool))


# --- in a pool process ---------------------------------------------------------------------------------------

def app_spec(app: Flask) -> dict[str, Any]:
    """The app's configuration as plain values, enough for a worker process to build the same app."""
    values: dict[str, Any] = {}
    for key, value in app.config.items():
        if not key.isupper():
            continue
        try:
            pickle.dumps(value)
        except Exception:  # noqa: S112 - values that cannot cross a process boundary are left to defaults
            continue
        values[key] = value
    return values


_worker_apps: dict[str, Flask] = {}


def _worker_app(spec: dict[str, Any]) -> Flask:
    key = repr(sorted((k, repr(v)) for k, v in spec.items()))
    app = _worker_apps.get(key)
    if app is None:
        from app import create_app
        from config import Config

        app = create_app(type("WorkerConfig", (Config,), dict(spec)))
        _worker_apps[key] = app
    return app


def run_job(spec: dict[str, Any], job_id: int) -> None:
    """Entry point of a local pool process: run one job in an app built from `spec`."""
    app = _worker_app(spec)
    with app.app_context():
        try:
            execute(job_id)
        finally:
            db.session.remove()
