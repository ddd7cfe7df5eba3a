"""API tokens over their life: revoked by their owner, noted when used (issued by app/services/accounts.py)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app import counters
from app.clock import utcnow
from app.enums import Role
from app.extensions import db
from app.languages import N_
from app.models import ApiToken, User
from app.services.audit import record_event
from app.services.errors import NotAllowed

# `last_used_at` is kept to the minute: one write per token per minute at most, however busy the client.
USE_RESOLUTION = timedelta(minutes=1)


def revoke_token(api_token: ApiToken, *, actor: User) -> bool:
    """Revoke the token (its owner, or an administrator); False when it was revoked already.

    Side effects: revoked_at, audit event (naming the token's owner when an administrator revokes it)."""
    if api_token.user_id != actor.id and not actor.has_role(Role.ADMIN):
        raise NotAllowed(N_("Only the token's owner or an administrator revokes it."))
    if api_token.revoked_at is not None:
        return False
    api_token.revoked_at = utcnow()
    db.session.flush()
    record_event(actor, "token.revoked", object_type="api_token", object_id=api_token.id, label=api_token.label,
                 owner=api_token.user_id)
    return True


def note_token_use(api_token: ApiToken) -> None:
    """Keep when the token was last used, written in a transaction of its own (a GET is never committed) and at most
    once a minute: the condition is in the UPDATE itself, so simultaneous requests write it once."""
    now = utcnow()
    if api_token.last_used_at is not None and now - api_token.last_used_at < USE_RESOLUTION:
        return
    counters.execute_alone(sa.update(ApiToken).where(
        ApiToken.id == api_token.id,
        sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_RESOLUTION),
    ).values(last_used_at=now))
