"""Country codes (ISO 3166-1 alpha-2) and names, from pycountry."""

from __future__ import annotations

from functools import cache

import pycountry

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


def country_name(code: str) -> str:
    return country_names().get(code.upper(), code)


def is_country_code(code: str) -> bool:
    return code.upper() in country_names()


def country_choices() -> list[tuple[str, str]]:
    return [(code, f"{name} ({code})") for code, name in country_names().items()]
