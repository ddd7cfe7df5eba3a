"""The language switcher's answer: the choice remembered on the account and in a cookie, then back to the page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from app.public import bp
from app.services.languages import choose_language
from app.translation import gettext as _
from app.web.access import signed_in_actor
from app.web.locale import remember_language
from app.web.transaction import command
from forms.language import LanguageChoiceForm


def _back_to(target: str | None) -> str:
    # Only a local path: the switcher never sends anyone to another site.
    parts = urlsplit(target or "")
    if target and target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return url_for("public.index")


@bp.post("/language")
def choose_page_language() -> Response:
    """Remember the language chosen in the switcher (account and cookie) and show the same page again in it."""
    form = LanguageChoiceForm()
    back = _back_to(form.next.data)
    if not form.validate_on_submit():
        flash(_("Choose one of the languages offered."), "error")
        return redirect(back)
    language = str(form.language.data)
    user = signed_in_actor()
    if user is not None:
        with command() as outcome:
            choose_language(user, language=language)
        if not outcome.ok:
            return redirect(back)
    response = redirect(back)
    remember_language(response, language)
    return response
