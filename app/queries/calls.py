"""Calls as the pages and the API list them. Calls are public: everyone may know that one exists."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from app.enums import CallState, ProposalStatus
from app.extensions import db
from app.models import Call, Proposal


def get_call(code: str) -> Call | None:
    """The call with this code, or None."""
    return db.session.scalar(sa.select(Call).where(Call.code == code))


def calls_by_deadline() -> list[Call]:
    """Every call, latest deadline first."""
    return list(db.session.scalars(sa.select(Call).order_by(Call.deadline.desc())))


def open_calls(now: datetime) -> list[Call]:
    """The calls open at `now`, the nearest deadline first."""
    return list(db.session.scalars(
        sa.select(Call).where(Call.opens_at <= now, Call.deadline > now).order_by(Call.deadline)))


def calls_open_and_other(now: datetime) -> tuple[list[Call], list[Call]]:
    """Every call in one query, as the public list shows them: the calls open at `now` (nearest deadline first),
    then the others (upcoming and closed, latest deadline first)."""
    calls = calls_by_deadline()
    open_now = sorted((c for c in calls if c.state(now) is CallState.OPEN), key=lambda c: c.deadline)
    return open_now, [c for c in calls if c.state(now) is not CallState.OPEN]


def extensions_overtaken(call: Call, deadline: datetime) -> list[Proposal]:
    """The proposals whose extension gives them more time today but would not with the call's deadline at `deadline`.

    Their extension then ends at or before the call's deadline, so they get the call's deadline like every other
    proposal (`Proposal.effective_deadline`); nobody loses time, but the officer should know before saving.
    """
    if deadline <= call.deadline:
        return []
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.call_id == call.id, Proposal.status != ProposalStatus.WITHDRAWN,
                                  Proposal.extended_deadline > call.deadline, Proposal.extended_deadline <= deadline)
        .order_by(Proposal.number)))


def overtaken_token(proposals: list[Proposal]) -> str:
    """What confirms exactly these overtaken extensions: another extension or another deadline needs a new look."""
    text = ";".join(f"{p.id}@{p.extended_deadline.isoformat() if p.extended_deadline else ''}" for p in proposals)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
