"""Proposals: the draft an applicant edits, its consortium, annexes and immutable submitted versions."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import Decision, DocumentKind, Eligibility, OrganisationType, ProposalStatus
from app.extensions import Model
from app.models.types import MONEY, UTCDateTime

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.user import Organisation, User


def _enum(enum: type, length: int = 20) -> sa.Enum:
    return sa.Enum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Proposal(Model):
    __tablename__ = "proposals"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "number", name="uq_proposals_call_id_number"),
        sa.CheckConstraint("requested_grant IS NULL OR requested_grant >= 0", name="requested_not_negative"),
        sa.CheckConstraint("edit_version >= 1", name="edit_version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    # 1, 2, 3 … within the call; `reference` is what people and the scoring core see.
    number: Mapped[int]
    reference: Mapped[str] = mapped_column(sa.String(80), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[ProposalStatus] = mapped_column(_enum(ProposalStatus), default=ProposalStatus.DRAFT)
    # Optimistic locking: every save names the version it was based on.
    edit_version: Mapped[int] = mapped_column(default=1)

    acronym: Mapped[str] = mapped_column(sa.String(30), default="")
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    abstract: Mapped[str] = mapped_column(sa.Text, default="")
    # What the proposal is about in a few words (MAX_KEYWORDS of MAX_KEYWORD characters): with the title and the
    # abstract, what evaluators are matched on (matching.affinity).
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    strand: Mapped[str | None] = mapped_column(sa.String(100))
    duration_months: Mapped[int | None]
    requested_grant: Mapped[Decimal | None] = mapped_column(MONEY)

    # An officer's extension for this proposal only (the call's deadline otherwise).
    extended_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    extension_granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Withdrawal is final (as in the EU portal): the proposal leaves the call.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Who saved last: named on the edit-conflict page.
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    # Screening after the deadline (evaluation).
    eligibility: Mapped[Eligibility] = mapped_column(_enum(Eligibility), default=Eligibility.PENDING)
    eligibility_reason: Mapped[str | None] = mapped_column(sa.Text)
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    screened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    # Outcome of the finalised selection (selection).
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision))
    reserve_position: Mapped[int | None]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Event calls: a stakeholder session copied to the local-events call with the applicant's consent.
    transferred_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship()
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    partners: Mapped[list[Partner]] = relationship(
        back_populates="proposal", order_by="Partner.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="proposal", order_by="Document.id", cascade="all, delete-orphan"
    )
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="proposal", order_by="Submission.version", cascade="all, delete-orphan"
    )

    @property
    def coordinator(self) -> Partner | None:
        return next((p for p in self.partners if p.is_coordinator), None)

    @property
    def latest_submission(self) -> Submission | None:
        return self.submissions[-1] if self.submissions else None

    @property
    def extension_in_force(self) -> bool:
        """True when an officer's extension ends after the call's deadline (a later call deadline supersedes it)."""
        return self.extended_deadline is not None and self.extended_deadline > self.call.deadline

    @property
    def effective_deadline(self) -> datetime:
        """The later of the call's deadline and this proposal's extension: every deadline check reads this one.

        An extension only ever adds time: when the officer later moves the call's deadline past it, the
        proposal gets the call's deadline like every other.
        """
        if self.extended_deadline is None:
            return self.call.deadline
        return max(self.extended_deadline, self.call.deadline)

    def is_past_deadline(self, now: datetime | None = None) -> bool:
        """True from the effective deadline on: a submission must be committed strictly before it."""
        return (now or utcnow()) >= self.effective_deadline

    def time_left(self, now: datetime | None = None) -> timedelta:
        return max(self.effective_deadline - (now or utcnow()), timedelta(0))

    @property
    def is_withdrawn(self) -> bool:
        return self.status is ProposalStatus.WITHDRAWN

    def is_editable(self, now: datetime | None = None) -> bool:
        """Drafts and submitted proposals can change (and be resubmitted) until the deadline; withdrawal is final."""
        return not self.is_withdrawn and not self.is_past_deadline(now)

    @property
    def status_label(self) -> str:
        """'Draft', 'Submitted v2' or 'Withdrawn', as the dashboard shows it."""
        if self.status is ProposalStatus.SUBMITTED and self.submissions:
            return f"Submitted v{self.submissions[-1].version}"
        return self.status.value.capitalize()

    def __repr__(self) -> str:
        return f"<Proposal {self.reference}>"


class Partner(Model):
    """A consortium member; position 0 is the coordinator."""

    __tablename__ = "partners"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "position", name="uq_partners_proposal_id_position"),
        sa.CheckConstraint("requested_amount IS NULL OR requested_amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    is_coordinator: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    organisation_type: Mapped[OrganisationType] = mapped_column(_enum(OrganisationType, 40))
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    requested_amount: Mapped[Decimal | None] = mapped_column(MONEY)

    proposal: Mapped[Proposal] = relationship(back_populates="partners")


class Document(Model):
    """An uploaded PDF annex, stored under its content hash; `filename` is for display only."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    size_bytes: Mapped[int]
    page_count: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Replaced or deleted annexes stay for the submissions that reference them.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="documents")


class Submission(Model):
    """An immutable submitted version: canonical JSON snapshot, its SHA-256, the receipt."""

    __tablename__ = "submissions"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "version", name="uq_submissions_proposal_id_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    receipt_number: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # The exact bytes that were hashed, kept as text so the hash can be recomputed.
    snapshot: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The proposal's edit_version this submission froze (None for rows written by older code or factories).
    edit_version: Mapped[int | None]

    proposal: Mapped[Proposal] = relationship(back_populates="submissions")
    submitted_by: Mapped[User] = relationship()


class SubmissionIsImmutable(Exception):
    """Raised when code tries to change a submitted version: resubmitting adds a new one instead."""


@sa.event.listens_for(Submission, "before_update")
def _refuse_update(mapper: object, connection: object, target: Submission) -> None:
    raise SubmissionIsImmutable(f"submission {target.receipt_number} cannot be changed")
