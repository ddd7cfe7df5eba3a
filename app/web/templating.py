"""Jinja filters and globals: Brussels time, money, time left."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask

from app.clock import utcnow
from app.countries import country_name
from app.enums import Role


def format_money(amount: Decimal | None, currency: str = "EUR") -> str:
    """EUR 1,400,000.00 (exact: Decimal formatting, no float)."""
    if amount is None:
        return "-"
    return f"{currency} {amount:,.2f}"


def format_score(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"


def format_local(moment: datetime | None, zone: str = "Europe/Brussels", with_zone: bool = True) -> str:
    """A UTC time as wall-clock time in the call's zone, to the second."""
    if moment is None:
        return "-"
    local = moment.astimezone(ZoneInfo(zone))
    text = local.strftime("%d %B %Y, %H:%M:%S")
    return f"{text} {local.tzname()}" if with_zone else text


def format_duration(delta: timedelta) -> str:
    """'12 days 3 h', '2 h 05 min', '45 s' — the time left before a deadline."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "closed"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=format_money, score=format_score, local=format_local, duration=format_duration,
        country=country_name,
    )
    app.jinja_env.globals.update(Role=Role, utcnow=utcnow)
