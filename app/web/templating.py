"""Jinja filters and globals: the app's formatting (app/formatting.py) under short names, and the clock."""

from __future__ import annotations

from flask import Flask

from app.clock import utcnow
from app.countries import country_name
from app.enums import Role
from app.formatting import (
    describe_user_agent,
    format_duration,
    format_local,
    format_money,
    format_score,
    human_size,
)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=format_money, score=format_score, local=format_local, duration=format_duration,
        country=country_name, filesize=human_size, browser=describe_user_agent,
    )
    app.jinja_env.globals.update(Role=Role, utcnow=utcnow)
