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

import importlib
import logging
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
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
    spec = app_spec(app)
    for job_id in job_ids:
        future = pool.submit(run_job, spec, job_id)
        future.add_done_callback(_report_crash(app, job_id))


def _run_inline(app: Flask, job_ids: list[int]) -> None:
    for job_id in job_ids:
        with app.app_context():
            try:
                _execute(job_id)
            finally:
                db.session.remove()


# --- the local process pool ---------------------------------------------------------------------------------

_executor: ProcessPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool(app: Flask) -> ProcessPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            # spawn: never fork a process that may hold threads, locks and open database connections.
            _executor = ProcessPoolExecutor(
                max_workers=max(1, int(app.config.get("JOBS_WORKERS", 2))),
                mp_context=multiprocessing.get_context("spawn"),
            )
        return _executor


def shutdown(wait: bool = True) -> None:
    """Stop the local pool (it is created again on the next dispatch)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait, cancel_futures=not wait)


def _report_crash(app: Flask, job_id: int) -> Callable[[Future[None]], None]:
    def callback(future: Future[None]) -> None:
        error = future.exception()
        if error is None:
            return
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
