from __future__ import annotations

import sqlalchemy as sa

from app.api import api_user, bp
from app.api.schemas import CallSchema, CallSummarySchema, MeSchema
from app.extensions import db
from app.models import Call, User


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
