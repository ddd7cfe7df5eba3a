"""A person's signed-in sessions, as their "Your sessions" page shows them."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.languages import N_
from app.models import User, UserSession
from app.services.errors import NotFound


def sessions_of(user: User) -> list[UserSession]:
    """The account's sessions, the most recently used first."""
    return list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                                   .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def load_session_of(session_id: int, user: User) -> UserSession:
    """One of the user's own sessions; NotFound (404) for another's or one that has ended."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("This session has ended or is not yours."))
    return row
