"""The programme officer's assessment of a proposal in a call for expression of interest (evaluation mode
`assessment`): suitable or not for the call's aims, a fit score and a short reasoned note; one per proposal."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import Verdict
from app.extensions import Model
from app.models.limits import MAX_FIT, MIN_FIT
from app.models.proposal import _enum
from app.models.types import UTCDateTime

if TYPE_CHECKING:
    from app.models.proposal import Proposal
    from app.models.user import User


class Assessment(Model):
    __tablename__ = "assessments"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", name="uq_assessments_proposal_id"),
        sa.CheckConstraint(f"fit >= {MIN_FIT} AND fit <= {MAX_FIT}", name="fit_within_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    verdict: Mapped[Verdict] = mapped_column(_enum(Verdict, 12))
    fit: Mapped[int]  # how well the proposal serves the call's aims, 1 to 5 (orders the suitable ones)
    note: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship()
    assessor: Mapped[User] = relationship()
