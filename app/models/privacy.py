"""Personal data: consents with the text version accepted, corrections, e-mail changes waiting for their link,
officers' access to personal data, and the erasure register.

What each column of the database holds, and for how long, is declared in app/privacy/map.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import ConsentKind, ErasureKind
from app.extensions import Model
from app.languages import N_
from app.models.proposal import _enum
from app.models.types import UTCDateTime
from app.models.user import User


class Consent(Model):
    """A person accepted a text (the evaluator's code of conduct, the applicant's declaration) in one version."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(_enum(ConsentKind, 40))
    # The version of the text (app/privacy/texts.py) and the SHA-256 of its exact wording.
    text_version: Mapped[str] = mapped_column(sa.String(40))
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), index=True)

    user: Mapped[User] = relationship()


class Correction(Model):
    """A rectification: the value before and after. Submitted versions are never rewritten; this stands beside them."""

    __tablename__ = "personal_data_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The person corrected, or the organisation whose details were corrected.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    field: Mapped[str] = mapped_column(sa.String(40))
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    @property
    def label(self) -> str:
        """What was corrected, as people read it."""
        return CORRECTED_FIELDS.get(self.field, self.field)


CORRECTED_FIELDS = {"full_name": N_("Name"), "email": N_("E-mail address"),
                    "organisation.name": N_("Organisation's name"),
                    "organisation.country": N_("Organisation's country"),
                    "organisation.type": N_("Organisation's type")}


class EmailChange(Model):
    """A new e-mail address that takes effect when its owner opens the link sent to it.

    The link's token is an HMAC of this row (app/services/personal_data.py), so nothing secret is stored.
    """

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(sa.String(254))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Written by the background job that sends the link.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_error: Mapped[str | None] = mapped_column(sa.Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        """Not confirmed, not cancelled, not expired."""
        return self.confirmed_at is None and self.cancelled_at is None and (now or utcnow()) < self.expires_at


class PersonalDataAccess(Model):
    """An officer or administrator viewed a proposal's personal data, or exported a person's data."""

    __tablename__ = "personal_data_access"
    __table_args__ = (sa.Index("ix_personal_data_access_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))  # viewed, exported
    # The proposal whose personal data was seen (its reference stays if a draft is deleted later) …
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id", ondelete="SET NULL"), index=True)
    proposal_reference: Mapped[str] = mapped_column(sa.String(80), default="")
    # … or the person whose data was exported (a request received by post).
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(300), default="")
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class Erasure(Model):
    """The erasure register: what was erased, when and under which rule. It holds pseudonyms, never names.

    `flask backup restore` applies every entry again to a restored database that predates it (each is also
    appended to the file ERASURE_REGISTER, which outlives the database).
    """

    __tablename__ = "personal_data_erasures"
    __table_args__ = (sa.Index("ix_personal_data_erasures_kind_subject_id", "kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ErasureKind] = mapped_column(_enum(ErasureKind))
    subject_id: Mapped[int]  # the user's id (person) or the proposal's id (proposal, draft)
    # "Person 7f3a9c2e01" for a person, the proposal's reference for a proposal.
    label: Mapped[str] = mapped_column(sa.String(80))
    rule: Mapped[str] = mapped_column(sa.String(40))  # a key of app.privacy.map.RULES, or "request"
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The reference of a request received by post (an administrator erased on the person's behalf).
    request_reference: Mapped[str] = mapped_column(sa.String(300), default="")
    # What went: counts per kind of record, the files deleted; never personal data.
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    def register_entry(self) -> dict[str, Any]:
        """This entry as a line of the ERASURE_REGISTER file (ids, a label and dates only)."""
        return {"kind": self.kind.value, "subject_id": self.subject_id, "label": self.label, "rule": self.rule,
                "erased_at": self.erased_at.isoformat()}
