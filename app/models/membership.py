"""Joining an organisation: a newcomer's request that a member answers, or a member's invitation by e-mail.

Membership itself is `User.organisation_id`; these rows are how it changes with the consent of someone already
in the organisation (app/services/membership.py), and stay as the record of who let whom in.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import InvitationStatus, JoinRequestStatus
from app.extensions import Model
from app.models.proposal import _enum
from app.models.types import UTCDateTime
from app.models.user import Organisation, User


class JoinRequest(Model):
    __tablename__ = "organisation_join_requests"
    __table_args__ = (
        # One open request per account: an account joins one organisation at a time.
        sa.Index("uq_organisation_join_requests_one_pending_per_user", "user_id", unique=True,
                 sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[JoinRequestStatus] = mapped_column(_enum(JoinRequestStatus), default=JoinRequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_pending(self) -> bool:
        return self.status is JoinRequestStatus.PENDING


class Invitation(Model):
    """Only the SHA-256 of the invitation's token is stored: the link works for whoever received it, once."""

    __tablename__ = "organisation_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[InvitationStatus] = mapped_column(_enum(InvitationStatus), default=InvitationStatus.PENDING)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    def is_open(self, now: datetime | None = None) -> bool:
        """Still to be answered, and not expired."""
        return self.status is InvitationStatus.PENDING and (now or utcnow()) < self.expires_at
