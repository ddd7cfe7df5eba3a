"""The language of a request: an explicit choice beats the browser's Accept-Language, which beats English.

The explicit choice is the signed-in person's (`User.language`) or, for a visitor, the `language` cookie the
switcher sets. The API follows Accept-Language only: its clients say what they read in every request.
Flask-Babel translates with the selected language (app/translation.py); the template filters hand it to
app/formatting.py.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, has_request_context, request
from flask_babel import Babel
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from app.languages import DEFAULT_LANGUAGE, LANGUAGES, supported_language
from app.web.errors import is_api_request

LANGUAGE_COOKIE = "language"
LANGUAGE_COOKIE_AGE = 365 * 86400
TRANSLATIONS = Path(__file__).resolve().parent.parent.parent / "translations"

babel = Babel()


def select_language() -> str:
    """The request's language: the person's choice (account, then cookie), Accept-Language, English.

    Outside a request (the command line, a job) English, unless `flask_babel.force_locale` says otherwise."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if not is_api_request():
        if current_user and current_user.is_authenticated:
            chosen = supported_language(current_user.language)
            if chosen:
                return chosen
        chosen = supported_language(request.cookies.get(LANGUAGE_COOKIE))
        if chosen:
            return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def remember_language(response: BaseResponse, language: str) -> None:
    """The visitor's choice in a cookie, for a year (a preference, not a secret; no script needs it)."""
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax",
                        secure=request.is_secure, httponly=True)


def init_languages(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=select_language)
    # {% trans %} blocks are read with their whitespace collapsed, as the catalogues (babel.cfg) hold them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.after_request
    def _vary_by_language(response: Response) -> Response:
        # The same address answers in the language the headers and the cookie ask for: caches must keep them apart.
        response.vary.update(("Accept-Language", "Cookie"))
        return response
