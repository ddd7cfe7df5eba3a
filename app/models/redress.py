"""Evaluation review (redress): a coordinator's request that the procedure behind a decision letter be reviewed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import LetterKind, RedressGround, RedressStatus
from app.extensions import Model
from app.languages import N_
from app.models.proposal import _enum
from app.models.types import UTCDateTime

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.proposal import Proposal
    from app.models.selection import Letter, SelectionRun
    from app.models.user import User


class RedressRequest(Model):
    """One request per proposal and stage (the decision of the letter it is about), filed within the call's window."""

    __tablename__ = "redress_requests"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "stage", name="uq_redress_requests_proposal_id_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letters.id"))
    stage: Mapped[LetterKind] = mapped_column(_enum(LetterKind))
    ground: Mapped[RedressGround] = mapped_column(_enum(RedressGround, 30))
    grounds_text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[RedressStatus] = mapped_column(_enum(RedressStatus), default=RedressStatus.FILED, index=True)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The end of the window it was filed in (what the letter's receipt and the call's periods gave), kept as decided.
    window_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The review committee's decision: its assessment, who recorded it and when, and the reply letter it issued.
    assessment: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reply_letter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("letters.id"))
    # An upheld request's re-run of the ranking and selection with the re-evaluation's consensus (a recorded run).
    rerun_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_runs.id"))
    # Closing an upheld request: the decision of `scoring.review` the officer confirmed (`scoring.decision_to_dict`:
    # funded from the budget left, on the reserve list, or unchanged, with the reason and the figures), the run that
    # applied it to the outcome in force (None when the decision stands), and who closed it when.
    outcome: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    outcome_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_runs.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    call: Mapped[Call] = relationship()
    proposal: Mapped[Proposal] = relationship()
    letter: Mapped[Letter] = relationship(foreign_keys=[letter_id])
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    reply_letter: Mapped[Letter | None] = relationship(foreign_keys=[reply_letter_id])
    rerun: Mapped[SelectionRun | None] = relationship(foreign_keys=[rerun_id])
    outcome_run: Mapped[SelectionRun | None] = relationship(foreign_keys=[outcome_run_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_closed(self) -> bool:
        """An upheld request is closed once its outcome is confirmed and the closing letter issued."""
        return self.closed_at is not None

    @property
    def state_label(self) -> str:
        """Where the request is, as its applicants read it (a catalogue message: pages translate it): the status,
        or for a closed upheld request the outcome of the re-evaluation."""
        if self.outcome is None:
            return self.status.label
        return {"funded": N_("Upheld: funded from the budget left"),
                "reserve": N_("Upheld: placed on the reserve list"),
                "unchanged": N_("Upheld: re-evaluated, the decision stands")}.get(str(self.outcome.get("outcome")),
                                                                                  self.status.label)
