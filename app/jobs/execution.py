"""Running one job, in whichever process: claim its row, run its kind, and commit its writes with its outcome.

Exactly once. Delivery is at least once (a redelivered message, a sweep that dispatches a job again), so the
job row decides: a worker claims it (QUEUED, or RUNNING by a worker that may be dead), does its work, and starts
its write phase with `begin_commit()`, which locks the job row and gives up if another worker has finished it
meanwhile. The job's writes and its SUCCEEDED status commit in one transaction: a worker killed before that
commit leaves nothing behind, and the next delivery does the whole job again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from typing import Any, cast

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import JobStatus
from app.extensions import db
from app.jobs.registry import job_kinds
from app.models import Job

log = logging.getLogger(__name__)

# The job this thread is running, for begin_commit.
_CURRENT = threading.local()


def worker_name() -> str:
    """This process, as a job row names who claimed it: host and pid."""
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
        give_up(job, f"given up after {job.attempts - 1} deliveries whose worker stopped before finishing")
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
            give_up(job, "".join(traceback.format_exception_only(error)).strip())
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


def give_up(job: Job, message: str) -> None:
    """Mark the job failed for good and tell its kind (side effect: the kind's clean-up; the caller commits)."""
    job.status, job.error, job.finished_at = JobStatus.FAILED, message[:4000], utcnow()
    handler = job_kinds()[job.kind].on_give_up
    if handler is not None:
        handler(job)
