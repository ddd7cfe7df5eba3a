"""Accounts as the administrators' pages show them: each with its state, last log-in and live sessions."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.languages import N_
from app.models import User, UserSession
from app.services.errors import NotFound


def load_account(user_id: int) -> User:
    """The account with this id (NotFound, 404, when there is none)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("There is no such account."))
    return user


def session_counts() -> dict[int, int]:
    """The number of sessions of every account that has any, in one query."""
    rows = db.session.execute(sa.select(UserSession.user_id, sa.func.count()).group_by(UserSession.user_id))
    return {user_id: int(count) for user_id, count in rows}
