"""Background work: the one module that knows how jobs are queued and run.

A job is a row in `jobs` (kind, payload, status): web processes keep no state, so any of them can report
progress. `enqueue(kind, payload)` adds the row; the job is dispatched once the transaction that created it
commits (a job must never run before its row, or the rows it works on, can be seen). `job_kinds()` is the
registry of what can run. Dispatch goes to the backend named by JOBS_BACKEND:

- `local` (the default, `make run`): a `ProcessPoolExecutor` of JOBS_WORKERS processes in the web process
  (spawn context, created lazily);
- `celery`: Celery workers on other processes or hosts (`celery -A app.worker worker`), Redis as the broker.
  Messages are acknowledged late, so a job whose worker dies (kill -9, a lost host) is delivered again to
  another worker;
- `inline` (or JOBS_INLINE, the tests): the calling process itself, in a thread with its own app context and
  session, joined before `commit()` returns.

Exactly once, though delivered at least once: see `app.jobs.execution`. The modules: `registry` (the job
kinds), `execution` (running one job, in any process), `local_pool` (the local backend); the Celery backend is
`app.worker`, the module `celery -A app.worker` loads. This module is the public API, re-exported here.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.enums import JobStatus
from app.extensions import db
from app.jobs import local_pool
from app.jobs.execution import JobTakenOver, begin_commit, execute, worker_name
from app.jobs.local_pool import init_app, shutdown
from app.jobs.registry import JOB_KIND_NAMES, JobKind, job_kinds
from app.models import Job

__all__ = [
    "JOB_KIND_NAMES", "JobKind", "JobTakenOver", "backend", "begin_commit", "dispatch", "enqueue", "execute",
    "init_app", "job_kinds", "redispatch_stale", "shutdown", "wait_for", "worker_name",
]

log = logging.getLogger(__name__)

_PENDING = "eurogrants.pending_jobs"


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
    local_pool.submit(app, job_ids)


def _run_inline(app: Flask, job_ids: list[int]) -> None:
    for job_id in job_ids:
        with app.app_context():
            try:
                execute(job_id)
            finally:
                db.session.remove()


def wait_for(job_ids: list[int], *, poll_seconds: float = 0.2) -> None:
    """Block until these jobs have finished (for command-line tools that report the outcome)."""
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
    was down when they were queued, or lost its data). A job sent twice is still done once (`app.jobs.execution`)."""
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
