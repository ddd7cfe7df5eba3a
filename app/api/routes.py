from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import abort

from app.api import api_user, bp, public
from app.api.schemas import CallSchema, CallSummarySchema, MeSchema, TokenRequestSchema, TokenSchema
from app.extensions import db, limiter
from app.models import Call, User
from app.services.accounts import authenticate, issue_token
from app.services.errors import LoginLocked


@bp.post("/tokens")
@public
@limiter.limit("10 per minute")
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.doc(security=[])
def create_token(body: dict[str, str]) -> dict[str, str]:
    """Exchange an e-mail address and password for a bearer token (shown once; rate-limited)."""
    try:
        user = authenticate(body["email"], body["password"])
    except LoginLocked:
        db.session.rollback()
        raise
    if user is None:
        db.session.commit()  # keep the failed attempt for the lockout rule
        abort(401, message="Those credentials did not work.")
    token = issue_token(user, label=body.get("label") or "api")
    db.session.commit()
    return {"token": token, "token_type": "Bearer"}


@bp.get("/me")
@bp.response(200, MeSchema)
def me() -> User:
    """The account the bearer token belongs to."""
    return api_user()


@bp.get("/calls")
@bp.response(200, CallSummarySchema(many=True))
def list_calls() -> list[Call]:
    """Every call, latest deadline first."""
    return list(db.session.scalars(sa.select(Call).order_by(Call.deadline.desc())))


@bp.get("/calls/<code>")
@bp.response(200, CallSchema)
def get_call(code: str) -> Call:
    """One call with its criteria, rules and strands."""
    return db.first_or_404(sa.select(Call).where(Call.code == code),
                           description=f"There is no call {code!r}.")
