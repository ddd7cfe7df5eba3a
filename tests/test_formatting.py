"""How values read in each language (app/formatting.py): money, dates in the call's zone, scores, percentages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.formatting import (
    format_amount,
    format_day,
    format_decimal,
    format_duration,
    format_local,
    format_money,
    format_percent,
    format_score,
    human_size,
)

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "€42,000,000.00"), ("fr", f"42{NNBSP}000{NNBSP}000,00{NBSP}€"), ("de", f"42.000.000,00{NBSP}€"),
])
def test_money_reads_as_each_language_writes_it(locale: str, expected: str) -> None:
    assert format_money(Decimal("42000000"), locale=locale) == expected


def test_money_stays_exact_to_the_cent_and_says_when_there_is_none() -> None:
    assert format_money(Decimal("1234567890123.45"), locale="de") == f"1.234.567.890.123,45{NBSP}€"
    assert format_money(None, locale="fr") == "-"
    assert format_amount(Decimal("1400000.5"), locale="fr") == f"1{NNBSP}400{NNBSP}000,50"


@pytest.mark.parametrize(("locale", "winter", "summer"), [
    ("en", "07 December 2021, 17:00:00 CET", "01 July 2022, 14:30:00 CEST"),
    ("fr", "7 décembre 2021, 17:00:00 CET", "1 juillet 2022, 14:30:00 CEST"),
    ("de", "7. Dezember 2021, 17:00:00 MEZ", "1. Juli 2022, 14:30:00 MESZ"),
])
def test_times_are_shown_in_the_calls_zone_and_name_it(locale: str, winter: str, summer: str) -> None:
    assert format_local(datetime(2021, 12, 7, 16, 0, tzinfo=UTC), locale=locale) == winter
    assert format_local(datetime(2022, 7, 1, 12, 30, tzinfo=UTC), locale=locale) == summer


def test_a_day_in_words() -> None:
    assert [format_day(date(2026, 3, 2), locale=code) for code in ("en", "fr", "de")] == [
        "2 March 2026", "2 mars 2026", "2. März 2026"]


@pytest.mark.parametrize(("locale", "half", "whole", "share"), [
    ("en", "4.5", "12", "12.5%"), ("fr", "4,5", "12", f"12,5{NBSP}%"), ("de", "4,5", "12", f"12,5{NBSP}%"),
])
def test_scores_decimals_and_percentages_use_the_languages_decimal_sign(
    locale: str, half: str, whole: str, share: str,
) -> None:
    assert format_score(Decimal("4.5"), locale=locale) == half
    assert format_score(Decimal("12.0"), locale=locale) == whole
    assert format_decimal(Decimal("12.750"), locale=locale) == ("12.75" if locale == "en" else "12,75")
    assert format_percent(Decimal("0.125"), locale=locale) == share


def _spaced(text: str) -> str:
    # Babel separates a number from its unit with the language's non-breaking spaces.
    return " ".join(text.split())


def test_durations_and_sizes_in_each_language() -> None:
    left = timedelta(days=12, hours=3)
    assert [_spaced(format_duration(left, locale=code)) for code in ("en", "fr", "de")] == [
        "12 days 3 h", "12 jours 3 h", "12 Tage 3 Std."]
    assert format_duration(timedelta(0), locale="fr") == "clôturé"
    assert [_spaced(human_size(1_500_000, locale=code)) for code in ("en", "fr", "de")] == [
        "1.5 MB", "1,5 Mo", "1,5 MB"]
