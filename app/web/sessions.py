"""The cookie's side of the server-side sessions (app/services/sessions.py): the session id kept in Flask's signed
cookie, the user loader that accepts a cookie only while its session lives, and the completion of a log-in.

Flask-Login alone trusts any cookie that names an account, even one saved before log-out; here the cookie also
carries a random session id whose hash must match a live row of `user_sessions`.
"""

from __future__ import annotations

from flask import g, request, session
from flask_login import current_user, login_user, logout_user

from app.extensions import db
from app.models import User, UserSession
from app.services.sessions import end_session, resume_session, start_session

SESSION_ID_KEY = "sid"


def load_user_of_session(user_id: str) -> User | None:
    """Flask-Login's user loader: the account of a live session whose id the cookie carries, else None (logged out)."""
    if not user_id.isdigit():
        return None
    row = resume_session(int(user_id), str(session.get(SESSION_ID_KEY) or ""))
    if row is None:
        return None
    g.user_session_id = row.id
    return row.user


def current_session_id() -> int | None:
    """The id of the session this request belongs to (None when not signed in)."""
    if not current_user.is_authenticated:
        return None
    session_id: int | None = g.get("user_session_id")
    return session_id


def complete_login(user: User) -> None:
    """Sign `user` in on this browser once every check has passed (the password, a second factor): a fresh cookie
    (no fixation) carrying the id of a new server-side session."""
    session.clear()
    token = start_session(user, user_agent=request.user_agent.string or "", address=request.remote_addr or "")
    session[SESSION_ID_KEY] = token
    login_user(user)


def end_login() -> None:
    """Log out: the server-side session ends (a saved cookie no longer works), then the cookie is emptied."""
    session_id = current_session_id()
    if session_id is not None:
        row = db.session.get(UserSession, session_id)
        if row is not None:
            end_session(row, actor=row.user)
    logout_user()
    session.clear()
