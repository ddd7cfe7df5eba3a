"""Background jobs: the queue's state lives in the database, so any web process can report on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.enums import JobStatus
from app.extensions import Model
from app.models.proposal import _enum
from app.models.types import UTCDateTime


class Job(Model):
    """One unit of background work (`kind` names an entry of `app.jobs.job_kinds()`, `payload` its arguments)."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker (host:pid) that last claimed it, and when it was last sent to the broker (the sweep for lost
    # messages sends again what has waited too long).
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status.value}>"
