"""Reads about personal data: the privacy statements generated from the record of processing (app/privacy/map.py),
the log of officers' access to personal data, who a person is here (their addresses, the proposals that record
them) and the rectification of their data. What is held about a person (the export) is in
app/queries/personal_data_export.py; what an erasure request erases, and the erasure register, in
app/queries/erasure.py."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.enums import Role
from app.extensions import db
from app.models import (
    Call,
    Correction,
    Document,
    EmailChange,
    Partner,
    PersonalDataAccess,
    Proposal,
    Submission,
    User,
)
from app.privacy import map as privacy_map
from app.privacy.map import PURPOSES, Purpose
from app.privacy.summary import SummaryRow, summary
from app.translation import gettext

# --- privacy statements --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    """One kind of personal data in a privacy statement."""

    category: str
    basis: privacy_map.LegalBasis
    kept: str  # how long, with the configured periods
    then: str
    files: bool


@dataclass(frozen=True)
class StatementSection:
    purpose: Purpose
    rows: list[StatementRow]


@dataclass(frozen=True)
class PrivacyStatement:
    """A privacy statement: the instance's, or a call's (with its own controller and DPO when it names them)."""

    call: Call | None
    controller: str
    dpo: str
    sections: list[StatementSection]


def _row(row: SummaryRow, config: Mapping[str, Any]) -> StatementRow:
    """The row in the reader's language (the map's texts are catalogue messages)."""
    return StatementRow(category=gettext(row.category), basis=row.basis, kept=row.rule.describe(config, gettext),
                        then=gettext(row.rule.then), files=any(name.startswith("files: ") for name in row.columns))


def privacy_statement(call: Call | None, config: Mapping[str, Any]) -> PrivacyStatement:
    """The statement for `call` (or the instance), generated from the map: by purpose, what is kept, on which legal
    basis, for how long and what happens then."""
    rows = summary()
    sections = [StatementSection(purpose, [_row(row, config) for row in rows if row.purpose is purpose])
                for purpose in PURPOSES]
    return PrivacyStatement(
        call=call,
        controller=(call.privacy_controller if call is not None else "") or str(config["PRIVACY_CONTROLLER"]),
        dpo=(call.privacy_dpo if call is not None else "") or str(config["PRIVACY_DPO"]),
        sections=[section for section in sections if section.rows],
    )



# --- officers' access to personal data -----------------------------------------------------------------------------

ACCESS_LOG_PAGE = 200


def access_log(*, officer_email: str = "", reference: str = "",
               limit: int = ACCESS_LOG_PAGE) -> list[PersonalDataAccess]:
    """The latest officers' accesses to personal data, newest first, optionally of one officer (by e-mail address)
    or about one proposal (by reference): two queries whatever the number of rows."""
    query = (sa.select(PersonalDataAccess)
             .options(selectinload(PersonalDataAccess.user), selectinload(PersonalDataAccess.subject))
             .order_by(PersonalDataAccess.at.desc(), PersonalDataAccess.id.desc()).limit(limit))
    if officer_email.strip():
        query = query.join(User, User.id == PersonalDataAccess.user_id).where(
            User.email == officer_email.strip().lower())
    if reference.strip():
        query = query.where(PersonalDataAccess.proposal_reference == reference.strip().upper())
    return list(db.session.scalars(query))


def find_person(email: str) -> User | None:
    """The account with this e-mail address (as typed: case and spaces do not matter)."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


# --- who a person is here ------------------------------------------------------------------------------------------

def known_emails(person: User) -> set[str]:
    """Every e-mail address the person has had here: the current one and those they corrected."""
    emails = {person.email.lower()}
    emails.update(value.lower() for value in db.session.scalars(
        sa.select(Correction.old_value).where(Correction.user_id == person.id, Correction.field == "email")) if value)
    return emails



def proposals_touched(person: User, emails: set[str]) -> list[Proposal]:
    """The proposals of the person's organisation, and any other proposal that records them: created, saved,
    submitted or withdrew it, uploaded an annex, or is named as a partner's contact."""
    touched = sa.or_(
        Proposal.created_by_id == person.id, Proposal.updated_by_id == person.id,
        Proposal.withdrawn_by_id == person.id,
        Proposal.id.in_(sa.select(Submission.proposal_id).where(Submission.submitted_by_id == person.id)),
        Proposal.id.in_(sa.select(Document.proposal_id).where(Document.uploaded_by_id == person.id)),
        Proposal.id.in_(sa.select(Partner.proposal_id).where(sa.func.lower(Partner.contact_email).in_(emails))),
    )
    if person.organisation_id is not None and person.has_role(Role.APPLICANT):
        touched = sa.or_(touched, Proposal.organisation_id == person.organisation_id)
    return list(db.session.scalars(
        sa.select(Proposal).where(touched)
        .options(selectinload(Proposal.call), selectinload(Proposal.organisation), selectinload(Proposal.partners),
                 selectinload(Proposal.documents), selectinload(Proposal.submissions))
        .order_by(Proposal.created_at, Proposal.id)))



# --- rectification ------------------------------------------------------------------------------------------------

def open_email_change(person: User) -> EmailChange | None:
    """The person's change of e-mail address still waiting for its link, if any."""
    change = db.session.scalar(sa.select(EmailChange).where(
        EmailChange.user_id == person.id, EmailChange.confirmed_at.is_(None), EmailChange.cancelled_at.is_(None))
        .order_by(EmailChange.id.desc()).limit(1))
    return change if change is not None and change.is_open() else None


def corrections_since(submission: Submission) -> list[Correction]:
    """Corrections of the submitter's name or address, or of the organisation's details, made after `submission`:
    shown beside its receipt, whose snapshot and hash stand as submitted."""
    proposal = submission.proposal
    return list(db.session.scalars(
        sa.select(Correction).where(
            sa.or_(Correction.user_id == submission.submitted_by_id,
                   Correction.organisation_id == proposal.organisation_id),
            Correction.corrected_at > submission.submitted_at)
        .order_by(Correction.corrected_at, Correction.id)))


def email_change_token(change: EmailChange) -> str:
    """The secret of the link that confirms `change`: an HMAC of the row with the server's key (nothing stored)."""
    message = f"email-change:{change.id}:{change.user_id}:{change.new_email}:{change.requested_at.isoformat()}"
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def email_link_matches(change: EmailChange, token: str) -> bool:
    """Whether a link's token is the one sent for `change` (compared in constant time)."""
    return hmac.compare_digest(token.encode()[:200], email_change_token(change).encode())

