from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from app.clock import utcnow
from app.enums import CallState
from app.extensions import db
from app.models import Call
from app.public import bp


@bp.get("/")
def index() -> str:
    now = utcnow()
    calls = db.session.scalars(sa.select(Call).order_by(Call.deadline.desc())).all()
    open_calls = sorted((c for c in calls if c.state(now) is CallState.OPEN), key=lambda c: c.deadline)
    other_calls = [c for c in calls if c.state(now) is not CallState.OPEN]
    return render_template("public/index.html", open_calls=open_calls, other_calls=other_calls, now=now)


@bp.get("/calls/<code>")
def call_detail(code: str) -> str:
    call = db.first_or_404(sa.select(Call).where(Call.code == code))
    return render_template("public/call.html", call=call, now=utcnow())
