"""How values read, for people: money, scores, plain decimals, times in the call's zone, durations, file sizes.

No Flask and no database. Templates (as filters, app/web/templating.py), forms, services, letters, charts and exports
format through here, so that a score or an amount reads the same on a page, in a letter and in a message. Amounts are
Decimals and stay exact (no float on the way). The scoring core writes its own output (scoring.decimals): that is
the contract's text, not this.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

CALL_ZONE = "Europe/Brussels"  # the zone of the reference calls; each call names its own (Call.time_zone)


def format_money(amount: Decimal | None, currency: str = "EUR") -> str:
    """EUR 1,400,000.00 (exact: Decimal formatting, no float); "-" for no amount."""
    if amount is None:
        return "-"
    return f"{currency} {amount:,.2f}"


def format_amount(amount: Decimal) -> str:
    """1,400,000.00: an amount in a column whose heading names the currency."""
    return f"{amount:,.2f}"


def format_score(value: Decimal | None) -> str:
    """4, 4.5: a score in half points as evaluators write it; "-" for no score."""
    if value is None:
        return "-"
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"


def format_decimal(value: Decimal) -> str:
    """12.75, 0: a decimal as it is, without trailing zeros, exponent or negative zero (totals, tie-break keys)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def format_local(moment: datetime | None, zone: str = CALL_ZONE, with_zone: bool = True) -> str:
    """A UTC time as wall-clock time in the call's zone, to the second: 7 December 2021, 17:00:00 CET."""
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


def human_size(size: int) -> str:
    """10 MB, 1.5 MB, 300 KB (decimal units, as people read them)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"
    if size >= 1000:
        return f"{size // 1000} KB"
    return f"{size} bytes"


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_user_agent(user_agent: str) -> str:
    """A browser's user agent as a person recognises it: "Firefox on Windows" (the raw string when unknown)."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (user_agent[:80] if user_agent else "Unknown browser")
