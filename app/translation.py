"""The product's words in the reader's language: Flask-Babel's functions, typed (Flask-Babel ships no types).

Which language is being spoken is the request's (app/web/locale.py) unless `in_language` says otherwise: letters,
e-mails and receipts are written in their recipient's language, whoever's request or job writes them. Messages are
extracted into the catalogues under these names (babel.cfg, scripts/catalogues.py): `gettext` or `_`, `ngettext`,
`pgettext`, `plural_forms`, `lazy_gettext` or `_l`, and `N_` (app/languages.py) for texts defined before anyone reads
them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask_babel

from app.languages import DEFAULT_LANGUAGE, supported_language


def gettext(message: str, **variables: Any) -> str:
    """`message` in the language being spoken, `%(name)s` placeholders filled in from `variables`."""
    return str(flask_babel.gettext(message, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The form for `num` (`%(num)d` is filled in) in the language being spoken: its own plural rule."""
    return str(flask_babel.ngettext(singular, plural, num, **variables))


def pgettext(context: str, message: str, **variables: Any) -> str:
    """`message` as meant in `context` (one English word, two translations: a report "Submitted" is "Soumis" where a
    proposal is "Soumise")."""
    return str(flask_babel.pgettext(context, message, **variables))


def plural_forms(singular: str, plural: str) -> dict[str, str]:
    """Both forms of a counted message in the language being spoken, placeholders left for a script to fill in: the
    script picks one with the language's own rule (Intl.PluralRules: "one", else "other")."""
    translations = flask_babel.get_translations()
    return {"one": str(translations.ungettext(singular, plural, 1)),
            "other": str(translations.ungettext(singular, plural, 2))}


def lazy_gettext(message: str, **variables: Any) -> Any:
    """`message` translated when it is read as a string (form labels, defined once for every request)."""
    return flask_babel.lazy_gettext(message, **variables)


@contextmanager
def in_language(language: str | None) -> Iterator[str]:
    """Speak `language` (a recipient's; English when unknown or unset) inside the block; yields it."""
    chosen = supported_language(language) or DEFAULT_LANGUAGE
    with flask_babel.force_locale(chosen):
        yield chosen


def current_language() -> str:
    """The language being spoken now: the request's, or the one `in_language` set."""
    return supported_language(str(flask_babel.get_locale())) or DEFAULT_LANGUAGE
