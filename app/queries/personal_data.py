"""Reads about personal data: the privacy statements generated from the record of processing (app/privacy/map.py),
what is held about a person (the export), what an erasure request can erase now and what must wait, and the log of
officers' access to personal data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Call, PersonalDataAccess, User
from app.privacy import map as privacy_map
from app.privacy.map import PURPOSES, Purpose, SummaryRow

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
    return StatementRow(category=row.category, basis=row.basis, kept=row.rule.describe(config), then=row.rule.then,
                        files=any(name.startswith("files: ") for name in row.columns))


def privacy_statement(call: Call | None, config: Mapping[str, Any]) -> PrivacyStatement:
    """The statement for `call` (or the instance), generated from the map: by purpose, what is kept, on which legal
    basis, for how long and what happens then."""
    rows = privacy_map.summary()
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
