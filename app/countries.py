"""Country codes (ISO 3166-1 alpha-2) and names, from pycountry."""

from __future__ import annotations

import unicodedata
from functools import cache

import pycountry
from babel import Locale

# Kosovo has no ISO code yet; the EU and the SMP use the user-assigned XK.
_EXTRA = {"XK": "Kosovo"}

EU_MEMBER_STATES = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)


@cache
def country_names() -> dict[str, str]:
    """Every alpha-2 code mapped to its common name, sorted by name."""
    names = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    names.update(_EXTRA)
    return dict(sorted(names.items(), key=lambda item: item[1]))


@cache
def _names_in(locale: str) -> dict[str, str]:
    """Every code's name in `locale` (Babel's CLDR names; pycountry's English where CLDR has none), sorted by name
    as its readers sort (accents aside)."""
    english = country_names()
    territories = Locale.parse(locale).territories
    names = {code: territories.get(code, name) for code, name in english.items()}
    return dict(sorted(names.items(), key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def country_name(code: str, *, locale: str = "en") -> str:
    """A country's name in `locale` ("en", "fr", "de"); the code itself when it is not a country."""
    names = country_names() if locale == "en" else _names_in(locale)
    return names.get(code.upper(), code)


def is_country_code(code: str) -> bool:
    return code.upper() in country_names()


def country_choices(*, locale: str = "en") -> list[tuple[str, str]]:
    names = country_names() if locale == "en" else _names_in(locale)
    return [(code, f"{name} ({code})") for code, name in names.items()]
