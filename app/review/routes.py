from __future__ import annotations

from flask import render_template

from app.review import bp


@bp.get("/")
def dashboard() -> str:
    return render_template("review/dashboard.html")
