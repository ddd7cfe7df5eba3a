"""Evaluation: the evaluator pool of a call, assignments, individual reports (IER) and consensus reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import AssignmentState, ConflictDeclaration, Gender, ReportStatus
from app.extensions import Model
from app.models.proposal import _enum
from app.models.types import SCORE, UTCDateTime

if TYPE_CHECKING:
    from app.models.call import Call, Criterion
    from app.models.proposal import Proposal
    from app.models.user import User


class PoolMember(Model):
    """An evaluator invited to one call, with their expertise and maximum load."""

    __tablename__ = "pool_members"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "user_id", name="uq_pool_members_call_id_user_id"),
        sa.CheckConstraint("max_load >= 0", name="max_load_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The affiliation the evaluator declares for this call (conflicts of interest are detected against it);
    # it starts as their account's organisation and country.
    organisation_name: Mapped[str] = mapped_column(sa.String(200), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    expertise: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # strands/topics of the call
    max_load: Mapped[int] = mapped_column(default=10)
    # The evaluator's profile, which they keep up to date themselves: panels are balanced on nationality and gender
    # and proposals matched on the keywords and statement (matching.affinity). Gender is optional (None: not given).
    nationality: Mapped[str] = mapped_column(sa.String(2), default="")
    gender: Mapped[Gender | None] = mapped_column(_enum(Gender))
    expertise_keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    expertise_statement: Mapped[str] = mapped_column(sa.Text, default="")
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    code_of_conduct_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)

    call: Mapped[Call] = relationship()
    user: Mapped[User] = relationship()


class Assignment(Model):
    """One evaluator on one proposal, with their conflict-of-interest declaration."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "evaluator_id", name="uq_assignments_proposal_id_evaluator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    state: Mapped[AssignmentState] = mapped_column(_enum(AssignmentState), default=AssignmentState.PROPOSED)
    is_rapporteur: Mapped[bool] = mapped_column(default=False)
    conflict: Mapped[ConflictDeclaration] = mapped_column(
        _enum(ConflictDeclaration), default=ConflictDeclaration.UNDECLARED
    )
    conflict_note: Mapped[str | None] = mapped_column(sa.Text)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An officer may judge a declared conflict not material, with a reason.
    conflict_waived_reason: Mapped[str | None] = mapped_column(sa.Text)
    conflict_waived_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Why this evaluator, when the automatic assignment matched on texts: the pair's affinity (0 to 1) and the
    # terms the proposal and the evaluator's profile share that weigh most in it. None and [] otherwise.
    affinity: Mapped[float | None] = mapped_column(sa.Float)
    shared_terms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    proposal: Mapped[Proposal] = relationship()
    evaluator: Mapped[User] = relationship(foreign_keys=[evaluator_id])
    report: Mapped[IndividualReport | None] = relationship(back_populates="assignment", uselist=False)


class IndividualReport(Model):
    """An Individual Evaluation Report: a score and comment per criterion, locked once submitted."""

    __tablename__ = "individual_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id"), unique=True)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus), default=ReportStatus.DRAFT)
    overall_comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[Assignment] = relationship(back_populates="report")
    scores: Mapped[list[IndividualScore]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="selectin"
    )


class IndividualScore(Model):
    __tablename__ = "individual_scores"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "criterion_id", name="uq_individual_scores_report_id_criterion_id"),
        sa.CheckConstraint("score IS NULL OR score >= 0", name="score_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("individual_reports.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    score: Mapped[Decimal | None] = mapped_column(SCORE)
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    report: Mapped[IndividualReport] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class ConsensusReport(Model):
    """The consensus of a proposal's evaluators, drafted by the rapporteur and approved by the officer."""

    __tablename__ = "consensus_reports"
    # One consensus in force per proposal. An upheld evaluation review (app.services.redress) supersedes it: the
    # old report stays on record, marked, and the re-evaluation's panel writes a new one. Every read that feeds the
    # ranking, the progress or the letters filters on `CURRENT_CONSENSUS`.
    __table_args__ = (
        sa.Index("uq_consensus_reports_proposal_id_current", "proposal_id", unique=True,
                 sqlite_where=sa.text("superseded_at IS NULL"), postgresql_where=sa.text("superseded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"))
    rapporteur_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus), default=ReportStatus.DRAFT)
    overall_comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # When an upheld evaluation review ordered a re-evaluation that replaces this consensus (None: in force).
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship()
    scores: Mapped[list[ConsensusScore]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="selectin"
    )


# The consensus in force: add it to every query on ConsensusReport that is not about the record of the past.
CURRENT_CONSENSUS = ConsensusReport.superseded_at.is_(None)


class ConsensusScore(Model):
    __tablename__ = "consensus_scores"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "criterion_id", name="uq_consensus_scores_report_id_criterion_id"),
        sa.CheckConstraint("score IS NULL OR score >= 0", name="score_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("consensus_reports.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    score: Mapped[Decimal | None] = mapped_column(SCORE)
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    report: Mapped[ConsensusReport] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()
