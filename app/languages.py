"""The languages the product speaks: English (the reference, and the fallback), French and German.

No Flask. The names are each language's own (endonyms): a switcher lists them as their readers know them.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "fr": "Français", "de": "Deutsch"}
LANGUAGES: tuple[str, ...] = tuple(LANGUAGE_NAMES)
# The languages a call's own texts may be given in besides English, which its columns hold.
OTHER_LANGUAGES: tuple[str, ...] = tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)


def supported_language(code: str | None) -> str | None:
    """The language `code` names ("fr", "fr-BE", "FR_be" -> "fr") when the product speaks it, else None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in LANGUAGE_NAMES else None


def N_(message: str) -> str:
    """Marks a message for the catalogues (scripts/catalogues.py) where it is defined, before any request or
    recipient says which language it is for; it is translated where it is shown (gettext of the same text)."""
    return message
