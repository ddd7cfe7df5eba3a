"""Signed-in sessions kept on the server (app/models/session.py): started when a log-in completes, resumed on each
request, ended at log-out, from another session, by a password change or reset and by an administrator.

A session ends after `SESSION_IDLE_MINUTES` without a request and `SESSION_ABSOLUTE_HOURS` after its log-in. Its
last-seen time is written at most once a minute (`LAST_SEEN_STEP`), in a transaction of its own, so reading pages
costs no write per request.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import counters
from app.clock import utcnow
from app.extensions import db
from app.languages import N_
from app.models import User, UserSession
from app.queries.accounts import token_digest
from app.services.audit import record_event
from app.services.errors import NotAllowed

LAST_SEEN_STEP = timedelta(minutes=1)
USER_AGENT_LENGTH = 300


def start_session(user: User, *, user_agent: str, address: str) -> str:
    """Complete a log-in: a new server-side session for `user`. Returns the session's id for the cookie; only its
    SHA-256 is stored. Every way of logging in (password, a second factor) ends here.

    Side effects: a user_sessions row, the account's last log-in time (the log-in attempt is recorded already).
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(user=user, token_hash=token_digest(token), user_agent=user_agent[:USER_AGENT_LENGTH],
                      address=address[:64], started_at=now, last_seen_at=now)
    db.session.add(row)
    user.last_login_at = now
    db.session.flush()
    return token


def _lifetimes() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(minutes=int(config["SESSION_IDLE_MINUTES"])),
            timedelta(hours=int(config["SESSION_ABSOLUTE_HOURS"])))


def is_expired(row: UserSession) -> bool:
    """Whether the session has been idle too long or has reached its absolute lifetime."""
    idle, absolute = _lifetimes()
    now = utcnow()
    return now - row.last_seen_at >= idle or now - row.started_at >= absolute


def resume_session(user_id: int, token: str) -> UserSession | None:
    """The live session with this cookie id for this account, or None (unknown, ended, expired, or the account is
    deactivated). An expired session is deleted; the last-seen time moves when a minute has passed.

    Side effects, each committed on its own (a page that only reads commits nothing): the deletion, the last-seen time.
    """
    if not token:
        return None
    row = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == token_digest(token)))
    if row is None or row.user_id != user_id:
        return None
    if is_expired(row):
        counters.commit_alone(sa.delete(UserSession).where(UserSession.id == row.id))
        db.session.expunge(row)
        return None
    if not row.user.is_active:
        return None
    now = utcnow()
    if now - row.last_seen_at >= LAST_SEEN_STEP:
        counters.commit_alone(sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        db.session.expire(row, ["last_seen_at"])
    return row


def end_session(row: UserSession, *, actor: User) -> None:
    """End one session of the actor's own (log-out, or "End" on another device). Side effects: deletion, audit."""
    if row.user_id != actor.id:
        raise NotAllowed(N_("This is not one of your sessions."))
    record_event(actor, "session.ended", object_type="user_session", object_id=row.id)
    db.session.delete(row)
    db.session.flush()


def end_all_sessions(user: User, *, actor: User | None, except_current: int | None = None,
                     reason: str = "ended") -> int:
    """End every session of `user` but `except_current` (a session id): after a password change or reset, an
    administrator's deactivation, or "End all other sessions". Returns how many ended.

    Side effects: the deletions, an audit event.
    """
    statement = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if except_current is not None:
        statement = statement.where(UserSession.id != except_current)
    result = db.session.execute(statement)
    ended = int(getattr(result, "rowcount", 0) or 0)
    record_event(actor, "session.all_ended", object_type="user", object_id=user.id, ended=ended, reason=reason,
                 kept=except_current)
    db.session.flush()
    return ended
