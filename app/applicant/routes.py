from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from app.applicant import bp
from app.clock import utcnow
from app.extensions import db
from app.models import Call


@bp.get("/")
def dashboard() -> str:
    now = utcnow()
    open_calls = db.session.scalars(
        sa.select(Call).where(Call.opens_at <= now, Call.deadline > now).order_by(Call.deadline)
    ).all()
    return render_template("applicant/dashboard.html", open_calls=open_calls, now=now)
