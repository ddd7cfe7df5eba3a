"""Letter batches (the background generation of a run's letters) and the outbox of notification e-mails."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import BatchStatus, OutboxStatus
from app.extensions import Model
from app.models.proposal import _enum
from app.models.types import UTCDateTime

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.selection import Letter, SelectionRun
    from app.models.user import User

# A running batch that has not moved for this long is shown as stalled and may be started again.
STALLED_AFTER = timedelta(minutes=10)


class LetterBatch(Model):
    """The generation of every letter of one finalised selection run, spread over background jobs."""

    __tablename__ = "letter_batches"
    __table_args__ = (
        sa.CheckConstraint("done >= 0 AND failed >= 0 AND skipped >= 0", name="counters_not_negative"),
        sa.CheckConstraint("done + failed + skipped <= total", name="counters_within_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_runs.id"), index=True)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus), default=BatchStatus.RUNNING)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)       # rendered now
    skipped: Mapped[int] = mapped_column(default=0)    # already there from an earlier batch (idempotent re-run)
    failed: Mapped[int] = mapped_column(default=0)
    # [{"proposal": "REF", "message": "..."}], one per letter that could not be rendered.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    run: Mapped[SelectionRun] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def processed(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.processed / self.total)

    @property
    def is_finished(self) -> bool:
        return self.status is not BatchStatus.RUNNING

    def is_stalled(self, now: datetime | None = None) -> bool:
        return self.status is BatchStatus.RUNNING and (now or utcnow()) - self.updated_at > STALLED_AFTER


class OutboxMessage(Model):
    """A notification e-mail about one letter, queued for the officer to review before it is sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.UniqueConstraint("letter_id", name="uq_outbox_messages_letter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letters.id"))
    recipients: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    letter: Mapped[Letter] = relationship()
