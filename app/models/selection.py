"""Selection runs (a stored, re-runnable ranking and selection) and the letters that follow them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import LetterKind, OfferStatus, RunStatus
from app.extensions import Model
from app.models.proposal import _enum
from app.models.types import UTCDateTime

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.proposal import Proposal
    from app.models.user import User


class SelectionRun(Model):
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
    # Counts and amounts of the output (selected, reserve, ties, amounts as strings), for lists that should not
    # parse output_json; derived from the output, never an input to anything.
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # A promotion from the reserve list is a new run that names the run it follows.
    parent_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_runs.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # A finalised run stays in force until a finalised promotion run (its child) replaces it.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])
    parent_run: Mapped[SelectionRun | None] = relationship(remote_side=[id])

    @property
    def is_final(self) -> bool:
        return self.status is RunStatus.FINALISED

    @property
    def is_in_force(self) -> bool:
        return self.status is RunStatus.FINALISED and self.superseded_at is None

    @property
    def is_promotion(self) -> bool:
        return self.parent_run_id is not None

    @property
    def is_review(self) -> bool:
        """A run that follows the run in force to apply an upheld evaluation review's outcome (scoring.review)."""
        return self.parent_run_id is not None and "review" in (self.options or {})


class TieResolution(Model):
    """An officer's explicit order for a residual tie, with the written justification."""

    __tablename__ = "tie_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    ordered_references: Mapped[list[str]] = mapped_column(sa.JSON)
    justification: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TransferOffer(Model):
    """An offer to copy a proposal that was not selected into another call (event calls: sessions → local).

    The applicant accepts or declines; accepting creates `copy` in `target_call`, submitted, with
    `transferred_from_id` pointing back to the original.
    """

    __tablename__ = "transfer_offers"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "target_call_id", name="uq_transfer_offers_proposal_id_target_call_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    target_call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_runs.id"))
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus), default=OfferStatus.OFFERED)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    offered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    copy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id"))

    proposal: Mapped[Proposal] = relationship(foreign_keys=[proposal_id])
    target_call: Mapped[Call] = relationship()
    copy: Mapped[Proposal | None] = relationship(foreign_keys=[copy_id])


class Letter(Model):
    """A rendered decision letter: its PDF is stored by hash and verifiable by a short public code.

    `sha256` is also the PDF's storage key (`app.storage` addresses files by their SHA-256).
    """

    __tablename__ = "letters"
    __table_args__ = (
        # One letter per proposal and run: generating a run's letters again finds them instead of duplicating.
        sa.UniqueConstraint("proposal_id", "run_id", name="uq_letters_proposal_id_run_id"),
    )

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
    # The batch that rendered it, the PDF's size and page count (letters).
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("letter_batches.id"), index=True)
    size_bytes: Mapped[int] = mapped_column(default=0)
    page_count: Mapped[int] = mapped_column(default=0)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # When an applicant of the proposal's organisation first downloaded it: the letter's receipt, from which the
    # redress window runs (app.queries.redress).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship()
    run: Mapped[SelectionRun | None] = relationship()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
