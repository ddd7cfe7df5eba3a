"""How values read, for people: money, scores, plain decimals, times in the call's zone, durations, file sizes.

No Flask and no database. Templates (as filters, app/web/templating.py), forms, services, letters, charts and exports
format through here, so that a score or an amount reads the same on a page, in a letter and in a message. Amounts are
Decimals and stay exact (no float on the way). The scoring core writes its own output (scoring.decimals): that is
the contract's text, not this.

Each function takes the reader's language (`locale`: "en", "fr", "de"; the web layer passes the request's, letters
and e-mails the recipient's) and writes numbers, dates and units as that language does, with Babel's CLDR data:
€42,000,000.00 / 42 000 000,00 € / 42.000.000,00 €. Exports do not come here: they keep plain decimals and ISO dates.
"""

from __future__ import annotations

from copy import copy
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_currency as babel_currency
from babel.numbers import format_decimal as babel_decimal
from babel.numbers import format_percent as babel_percent
from babel.units import format_unit

CALL_ZONE = "Europe/Brussels"  # the zone of the reference calls; each call names its own (Call.time_zone)


ENGLISH = "en"


def format_money(amount: Decimal | None, currency: str = "EUR", *, locale: str = ENGLISH) -> str:
    """€1,400,000.00 / 1 400 000,00 € / 1.400.000,00 € (exact: Decimal all the way); "-" for no amount."""
    if amount is None:
        return "-"
    return babel_currency(amount, currency, locale=locale)


def format_amount(amount: Decimal, *, locale: str = ENGLISH) -> str:
    """1,400,000.00 / 1 400 000,00: an amount in a column whose heading names the currency."""
    return babel_decimal(amount, format="#,##0.00", locale=locale, decimal_quantization=True)


def format_score(value: Decimal | None, *, locale: str = ENGLISH) -> str:
    """4, 4.5 (4,5 in French and German): a score in half points as evaluators write it; "-" for no score."""
    if value is None:
        return "-"
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"
    return text if locale == ENGLISH else text.replace(".", babel_decimal(Decimal("0.5"), locale=locale)[1])


def format_decimal(value: Decimal, *, locale: str = ENGLISH) -> str:
    """12.75, 0: a decimal as it is, without trailing zeros, exponent or negative zero (totals, tie-break keys)."""
    text = format(value.normalize(), "f")
    text = "0" if text == "-0" else text
    return text if locale == ENGLISH else text.replace(".", babel_decimal(Decimal("0.5"), locale=locale)[1])


def format_percent(share: Decimal, *, locale: str = ENGLISH) -> str:
    """A share as a percentage to a tenth at most: 12.5% / 12,5 % / 12,5 %."""
    pattern = copy(Locale.parse(locale).percent_formats[None])
    pattern.frac_prec = (0, 1)  # the language's own pattern (12,5 % in French), to a tenth at most
    return babel_percent(share, format=pattern, locale=locale)


def format_day(day: date, *, locale: str = ENGLISH) -> str:
    """A day, in words: 7 December 2021 / 7 décembre 2021 / 7. Dezember 2021."""
    if locale == ENGLISH:
        return f"{day.day} {day:%B %Y}"
    return babel_date(day, format="long", locale=locale)


def _zone_name(local: datetime, locale: str) -> str:
    # The zone's short name where the language has one (MEZ, MESZ in German), else the usual CET/CEST.
    named = babel_datetime(local, "z", locale=locale)
    return named if named[:1].isalpha() and not named.startswith(("GMT", "UTC")) else str(local.tzname())


def format_local(moment: datetime | None, zone: str = CALL_ZONE, with_zone: bool = True, *,
                 locale: str = ENGLISH) -> str:
    """A UTC time as wall-clock time in the call's zone, to the second: 07 December 2021, 17:00:00 CET /
    7 décembre 2021, 17:00:00 CET / 7. Dezember 2021, 17:00:00 MEZ."""
    if moment is None:
        return "-"
    local = moment.astimezone(ZoneInfo(zone))
    if locale == ENGLISH:
        text = local.strftime("%d %B %Y, %H:%M:%S")
    else:
        text = f"{babel_date(local, format='long', locale=locale)}, {local:%H:%M:%S}"
    return f"{text} {_zone_name(local, locale)}" if with_zone else text


# "closed" in each language: the one word of a duration that is not a unit (Babel's CLDR data has the units).
_CLOSED = {"en": "closed", "fr": "clôturé", "de": "geschlossen"}


def format_duration(delta: timedelta, *, locale: str = ENGLISH) -> str:
    """'12 days 3 h', '2 h 05 min', '45 s' — the time left before a deadline ('12 jours 3 h', '12 Tage 3 Std.')."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return _CLOSED.get(locale, _CLOSED[ENGLISH])
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if locale != ENGLISH:
        parts = ((days, "day", hours, "hour") if days else (hours, "hour", minutes, "minute") if hours
                 else (minutes, "minute", secs, "second") if minutes else (secs, "second", None, ""))
        big = format_unit(parts[0], f"duration-{parts[1]}", length="long" if days else "short", locale=locale)
        small = "" if parts[2] is None else format_unit(parts[2], f"duration-{parts[3]}", length="short",
                                                        locale=locale)
        return f"{big} {small}".strip()
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def human_size(size: int, *, locale: str = ENGLISH) -> str:
    """10 MB, 1.5 MB, 300 KB (decimal units, as people read them; 1,5 Mo in French)."""
    if locale != ENGLISH:
        if size >= 1_000_000:
            return format_unit(round(Decimal(size) / 1_000_000, 1).normalize(), "digital-megabyte", length="short",
                               locale=locale)
        if size >= 1000:
            return format_unit(size // 1000, "digital-kilobyte", length="short", locale=locale)
        return format_unit(size, "digital-byte", length="long", locale=locale)
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"
    if size >= 1000:
        return f"{size // 1000} KB"
    return f"{size} bytes"


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_user_agent(user_agent: str, *, on: str = "%(browser)s on %(system)s",
                        unknown: str = "Unknown browser") -> str:
    """A browser's user agent as a person recognises it: "Firefox on Windows" (the raw string when unknown).

    `on` and `unknown` are the words in the reader's language (the web layer translates them: no Flask here)."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return on % {"browser": browser, "system": system}
    return browser or system or (user_agent[:80] if user_agent else unknown)
