"""Running one background job to its end from a command (cron's commands wait for what they started)."""

from __future__ import annotations

from typing import Any

import click

from app import jobs
from app.enums import JobStatus
from app.extensions import db
from app.models import Job


def run_to_end(job_id: int, *, what: str) -> dict[str, Any]:
    """Commit (which dispatches the job to the local pool or a Celery worker), wait for it, and return its result
    without the worker's bookkeeping; a failed job is a ClickException naming `what`."""
    db.session.commit()
    try:
        jobs.wait_for([job_id])
    finally:
        jobs.shutdown()
    job = db.session.get(Job, job_id)
    assert job is not None  # noqa: S101 - just created
    if job.status is JobStatus.FAILED:
        raise click.ClickException(f"The {what} failed: {job.error}")
    return {key: value for key, value in (job.result or {}).items() if key not in ("pid", "worker")}
