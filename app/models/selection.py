"""Selection runs (a stored, re-runnable ranking and selection) and the letters that follow them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import LetterKind, RunStatus
from app.extensions import db
from app.models.proposal import _enum
from app.models.types import UTCDateTime

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.proposal import Proposal
    from app.models.user import User


class SelectionRun(db.Model):
    """One run of `scoring.select` with the exact input it used, its output, and the SHA-256 of both."""

    __tablename__ = "selection_runs"
    __table_args__ = (sa.UniqueConstraint("call_id", "number", name="uq_selection_runs_call_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    number: Mapped[int]  # 1, 2, 3 … within the call
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus), default=RunStatus.DRAFT)
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    input_json: Mapped[str] = mapped_column(sa.Text)   # canonical JSON, byte for byte what was scored
    output_json: Mapped[str] = mapped_column(sa.Text)  # canonical JSON of the result
    input_sha256: Mapped[str] = mapped_column(sa.String(64))
    output_sha256: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # A promotion from the reserve list is a new run that names the run it follows.
    parent_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_runs.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    call: Mapped[Call] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class TieResolution(db.Model):
    """An officer's explicit order for a residual tie, with the written justification."""

    __tablename__ = "tie_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    ordered_references: Mapped[list[str]] = mapped_column(sa.JSON)
    justification: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Letter(db.Model):
    """A rendered decision letter: its PDF is stored by hash and verifiable by a short public code."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_runs.id"), index=True)
    kind: Mapped[LetterKind] = mapped_column(_enum(LetterKind))
    reference: Mapped[str] = mapped_column(sa.String(80), unique=True)
    verification_code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    decision_date: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship()
