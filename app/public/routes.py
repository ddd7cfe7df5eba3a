"""The public pages of the calls."""

from __future__ import annotations

from flask import render_template

from app.clock import utcnow
from app.public import bp
from app.queries.access import load_call
from app.queries.calls import calls_open_and_other


@bp.get("/")
def index() -> str:
    """Every call: the open ones first, nearest deadline first."""
    now = utcnow()
    open_calls, other_calls = calls_open_and_other(now)
    return render_template("public/index.html", open_calls=open_calls, other_calls=other_calls, now=now)


@bp.get("/calls/<code>")
def call_detail(code: str) -> str:
    """One call: deadline, money, eligibility rules, strands and the weighted criteria."""
    return render_template("public/call.html", call=load_call(code), now=utcnow())
