"""Background work: the one module that knows how jobs are queued and run.

A job is a row in `jobs` (kind, payload, status): web processes keep no state, so any of them can report
progress. `enqueue(kind, payload)` adds the row; the job is dispatched once the transaction that created it
commits (a job must never run before its row, or the rows it works on, can be seen). Dispatch goes to:

- a local `ProcessPoolExecutor` (JOBS_WORKERS processes, spawn context, created lazily): the default;
- the calling process itself when JOBS_INLINE is set (tests), in a separate thread with its own app context
  and session, joined before `commit()` returns.

A Redis-backed queue would be one more backend here: workers would call `run_job(spec, job_id)` for the ids they
pop. Each worker process builds its own app from `app_spec(app)` (the configuration as plain values) and claims the
job with an atomic UPDATE, so a job never runs twice.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.enums import JobStatus
from app.extensions import db
from app.models import Job

log = logging.getLogger(__name__)

# kind → "module:function". The function takes the job's payload (a dict) and returns a JSON-able result;
# an optional "module:function" in CRASH_HANDLERS is told when a job died without reporting (its process crashed).
TASKS: dict[str, str] = {
    "letters.render": "app.services.letters:render_letters_job",
    "personal_data.email_confirmation": "app.services.personal_data:send_email_confirmation_job",
    "personal_data.retention": "app.services.retention:retention_job",
}
CRASH_HANDLERS: dict[str, str] = {
    "letters.render": "app.services.letters:letters_job_crashed",
}

_PENDING = "eurogrants.pending_jobs"


def enqueue(kind: str, payload: dict[str, Any]) -> Job:
    """Queue a job; it is dispatched when the current transaction commits (side effect: adds a Job row)."""
    if kind not in TASKS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, payload=payload, status=JobStatus.QUEUED)
    db.session.add(job)
    db.session.flush()
    db.session().info.setdefault(_PENDING, []).append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    job_ids = session.info.pop(_PENDING, None)
    if job_ids:
        dispatch(current_app._get_current_object(), job_ids)  # type: ignore[attr-defined]


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def dispatch(app: Flask, job_ids: list[int]) -> None:
    """Hand committed jobs to the configured backend."""
    if app.config.get("JOBS_INLINE"):
        # A thread of our own: the committing session is in no state to run queries from its commit hook.
        thread = threading.Thread(target=_run_inline, args=(app, job_ids), name="eurogrants-inline-job")
        thread.start()
        thread.join()
        return
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


def _run_inline(app: Flask, job_ids: list[int]) -> None:
    for job_id in job_ids:
        with app.app_context():
            try:
                _execute(job_id)
            finally:
                db.session.remove()


# --- the local process pool ---------------------------------------------------------------------------------
#
# The pool's processes must not outlive the process that started them (issue 11, item 7). Three layers:
# - SIGTERM and SIGINT: `init_app` chains a handler in front of the one in place (SIG_DFL, werkzeug's, gunicorn's
#   worker handlers) that ends the pool's processes at once, then lets the previous handler act;
# - interpreter exit (gunicorn's graceful exit, werkzeug's reloader child, Ctrl-C): a hook that runs before
#   concurrent.futures' own, which would otherwise wait for every queued job of a batch first;
# - a lifeline: each worker watches a pipe whose only writing end the parent holds, and exits when it closes, so
#   even a parent killed with SIGKILL (werkzeug's reloader does that to its child) leaves no worker behind.
# multiprocessing's resource tracker exits by itself once the parent and the workers, its only writers, are gone.
# A job cut short stays queued or running in the database; its batch shows as stalled and the next one takes over.

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
threading._register_atexit(_stop_at_exit)  # type: ignore[attr-defined]


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
                _mark_crashed(job_id, f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    return callback


def _mark_crashed(job_id: int, message: str) -> None:
    job = db.session.get(Job, job_id)
    if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return
    job.status, job.error, job.finished_at = JobStatus.FAILED, message, utcnow()
    handler = CRASH_HANDLERS.get(job.kind)
    if handler:
        _resolve(handler)(job)
    db.session.commit()
    log.error("job %s (%s) crashed: %s", job_id, job.kind, message)


# --- in the worker ------------------------------------------------------------------------------------------

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
    """Entry point of a worker process: run one job in an app built from `spec`."""
    app = _worker_app(spec)
    with app.app_context():
        try:
            _execute(job_id)
        finally:
            db.session.remove()


def _execute(job_id: int) -> None:
    claimed = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow(), attempts=Job.attempts + 1)
    ).rowcount
    db.session.commit()
    if not claimed:
        return  # another worker has it, or it already ran
    job = db.session.get(Job, job_id)
    assert job is not None  # noqa: S101 - just claimed
    try:
        result = _resolve(TASKS[job.kind])(dict(job.payload))
    except Exception as error:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        job = db.session.get(Job, job_id)
        assert job is not None  # noqa: S101
        job.status, job.finished_at = JobStatus.FAILED, utcnow()
        job.error = "".join(traceback.format_exception_only(error)).strip()[:4000]
        handler = CRASH_HANDLERS.get(job.kind)
        if handler:
            _resolve(handler)(job)
        db.session.commit()
        return
    job = db.session.get(Job, job_id)
    assert job is not None  # noqa: S101
    # The worker's pid shows how the work was spread over the processes.
    job.status, job.finished_at = JobStatus.SUCCEEDED, utcnow()
    job.result = {**(result if isinstance(result, dict) else {"value": result}), "pid": os.getpid()}
    db.session.commit()


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function
