"""Background work: the one module that knows how jobs are queued and run.

A job is a row in `jobs` (kind, payload, status): web processes keep no state, so any of them can report
progress. `enqueue(kind, payload)` adds the row; the job is dispatched once the transaction that created it
commits (a job must never run before its row, or the rows it works on, can be seen). `JOB_KINDS` is the
registry of what can run. Dispatch goes to the backend named by JOBS_BACKEND:

- `local` (the default, `make run`): a `ProcessPoolExecutor` of JOBS_WORKERS processes in the web process
  (spawn context, created lazily);
- `celery`: Celery workers on other processes or hosts (`celery -A app.worker worker`), Redis as the broker.
  Messages are acknowledged late, so a job whose worker dies (kill -9, a lost host) is delivered again to
  another worker;
- `inline` (or JOBS_INLINE, the tests): the calling process itself, in a thread with its own app context and
  session, joined before `commit()` returns.

Exactly once. Delivery is at least once (a redelivered message, a sweep that dispatches a job again), so the
job row decides: a worker claims it (QUEUED, or RUNNING by a worker that may be dead), does its work, and starts
its write phase with `begin_commit()`, which locks the job row and gives up if another worker has finished it
meanwhile. The job's writes and its SUCCEEDED status commit in one transaction: a worker killed before that
commit leaves nothing behind, and the next delivery does the whole job again.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import socket
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.enums import JobStatus
from app.extensions import db
from app.models import Job

log = logging.getLogger(__name__)

_PENDING = "eurogrants.pending_jobs"
_CURRENT = threading.local()


@dataclass(frozen=True)
class JobKind:
    """One kind of background work: `run(payload)` returns a JSON-able dict; `on_give_up(job)` is told when a
    job failed for good (an exception, a crashed process, or too many deliveries) so that what it was doing
    can be reported as failed."""

    name: str
    run: Callable[[dict[str, Any]], dict[str, Any]]
    on_give_up: Callable[[Job], None] | None = None
    # Deliveries before a job that keeps dying (its worker killed each time) is given up.
    max_attempts: int = 5


@cache
def job_kinds() -> dict[str, JobKind]:
    """The registry of job kinds. Imported lazily: the services that own the work enqueue through this module."""
    from app.services import letters, outbox, personal_data, retention

    kinds = (
        JobKind("letters.render", letters.render_letters_job, on_give_up=letters.letters_job_crashed),
        # A sending job that fails for good needs no clean-up: messages it never claimed stay queued.
        JobKind("outbox.send", outbox.send_messages_job),
        JobKind("personal_data.email_confirmation", personal_data.send_email_confirmation_job,
                on_give_up=personal_data.email_confirmation_job_gave_up),
        # Retention is idempotent (it plans from the database at the clock): a run given up is redone by the next.
        JobKind("personal_data.retention", retention.retention_job),
    )
    return {kind.name: kind for kind in kinds}


JOB_KIND_NAMES = ("letters.render", "outbox.send", "personal_data.email_confirmation", "personal_data.retention")


def backend(app: Flask) -> str:
    if app.config.get("JOBS_INLINE"):
        return "inline"
    name = str(app.config.get("JOBS_BACKEND") or "local")
    if name not in ("local", "celery", "inline"):
        raise RuntimeError(f"JOBS_BACKEND must be local, celery or inline, not {name!r}")
    return name


def enqueue(kind: str, payload: dict[str, Any]) -> Job:
    """Queue a job; it is dispatched when the current transaction commits (side effect: adds a Job row)."""
    if kind not in JOB_KIND_NAMES:
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
        dispatch(current_app._get_current_object(), job_ids)  # type: ignore[attr-defined]  # typed as Flask, it is a proxy


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def dispatch(app: Flask, job_ids: list[int]) -> None:
    """Hand committed jobs to the configured backend."""
    name = backend(app)
    if name == "inline":
        # A thread of our own: the committing session is in no state to run queries from its commit hook.
        thread = threading.Thread(target=_run_inline, args=(app, job_ids), name="eurogrants-inline-job")
        thread.start()
        thread.join()
        return
    if name == "celery":
        from app.worker import send_jobs

        try:
            send_jobs(app, job_ids)
        except Exception:
            # The broker is unreachable (Redis restarting): the rows are committed and stay QUEUED; the
            # workers' sweep (`redispatch_stale`) sends them once the broker is back.
            log.exception("could not send jobs %s to the broker; the sweep will send them", job_ids)
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
                execute(job_id)
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
                _mark_crashed(job_id, f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    return callback


def _mark_crashed(job_id: int, message: str) -> None:
    job = db.session.get(Job, job_id)
    if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return
    _give_up(job, message)
    db.session.commit()
    log.error("job %s (%s) crashed: %s", job_id, job.kind, message)


def _give_up(job: Job, message: str) -> None:
    job.status, job.error, job.finished_at = JobStatus.FAILED, message[:4000], utcnow()
    handler = job_kinds()[job.kind].on_give_up
    if handler is not None:
        handler(job)


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
    """Entry point of a local pool process: run one job in an app built from `spec`."""
    app = _worker_app(spec)
    with app.app_context():
        try:
            execute(job_id)
        finally:
            db.session.remove()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobTakenOver(Exception):
    """Another delivery of this job finished it first: this one's work is dropped."""


def begin_commit() -> None:
    """Start the running job's write phase: lock its row, and give up (JobTakenOver) if it is finished already.

    Every delivery of a job commits its writes together with its SUCCEEDED status, after this lock, so of two
    deliveries running at once exactly one commits; the other sees the finished row and writes nothing.
    """
    job_id = getattr(_CURRENT, "job_id", None)
    if job_id is None:
        return  # not inside a job (a service called directly, as the tests of the job functions do)
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    locked = cast("sa.CursorResult[Any]", db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING).values(claimed_by=worker_name())
    )).rowcount
    if not locked:
        raise JobTakenOver(f"job {job_id} was finished by another delivery")


def execute(job_id: int) -> None:
    """Claim the job and run it; the outcome (result or error) is written to its row."""
    job = db.session.get(Job, job_id)
    if job is None:
        return
    kind = job_kinds()[job.kind]
    # QUEUED, or RUNNING by a delivery whose worker may have died: the write phase settles who commits.
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    claimed = cast("sa.CursorResult[Any]", db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .values(status=JobStatus.RUNNING, started_at=utcnow(), attempts=Job.attempts + 1,
                claimed_by=worker_name())
    )).rowcount
    db.session.commit()
    if not claimed:
        return  # it already ran
    db.session.refresh(job)
    if job.attempts > kind.max_attempts:
        _give_up(job, f"given up after {job.attempts - 1} deliveries whose worker stopped before finishing")
        db.session.commit()
        return
    _CURRENT.job_id = job_id
    try:
        result = kind.run(dict(job.payload))
        begin_commit()  # a job that wrote nothing still settles who finished it
    except JobTakenOver:
        db.session.rollback()
        log.info("job %s (%s) was finished by another delivery", job_id, job.kind)
        return
    except Exception as error:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        job = db.session.get(Job, job_id)
        assert job is not None  # noqa: S101
        if job.status is JobStatus.RUNNING:
            _give_up(job, "".join(traceback.format_exception_only(error)).strip())
            db.session.commit()
        return
    finally:
        _CURRENT.job_id = None
    job = db.session.get(Job, job_id)
    assert job is not None  # noqa: S101
    # The worker's pid shows how the work was spread over the processes.
    job.status, job.finished_at = JobStatus.SUCCEEDED, utcnow()
    job.result = {**result, "pid": os.getpid(), "worker": worker_name()}
    db.session.commit()


def wait_for(job_ids: list[int], *, poll_seconds: float = 0.2) -> None:
    """Block until these jobs have finished (for command-line tools that report the outcome)."""
    import time

    while job_ids:
        db.session.expire_all()
        finished = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(
            Job.id.in_(job_ids), Job.status.in_([JobStatus.SUCCEEDED, JobStatus.FAILED])))
        db.session.rollback()
        if finished == len(job_ids):
            return
        time.sleep(poll_seconds)


def redispatch_stale(app: Flask, *, older_than: timedelta) -> list[int]:
    """Send again the jobs that have been waiting longer than `older_than` (their message was lost: the broker
    was down when they were queued, or lost its data). A job sent twice is still done once (see above)."""
    cutoff = utcnow() - older_than
    with app.app_context():
        try:
            # Touching dispatched_at claims the re-send: of several workers sweeping at once, one sends each job.
            ids = list(db.session.scalars(
                sa.update(Job).where(Job.status == JobStatus.QUEUED, sa.func.coalesce(Job.dispatched_at,
                                                                                      Job.created_at) < cutoff)
                .values(dispatched_at=utcnow()).returning(Job.id)
            ))
            db.session.commit()
        finally:
            db.session.remove()
    if ids:
        log.warning("sending stale jobs again: %s", ids)
        dispatch(app, ids)
    return ids
