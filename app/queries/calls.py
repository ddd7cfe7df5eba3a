"""Calls as the pages and the API list them. Calls are public: everyone may know that one exists."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Call


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
