"""The officer's page of a call's own texts in French and German: its title, description and criteria, with the
English beside each as the reference (`app.services.call_texts`)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.languages import LANGUAGE_NAMES, OTHER_LANGUAGES
from app.manage import bp
from app.models import Call
from app.queries.access import load_call
from app.queries.calls import call_phase
from app.services.call_lifecycle import CHANGES, GROUP_OF, Change
from app.services.call_texts import LanguageTexts, given_texts, update_call_texts
from app.translation import gettext
from app.web.access import current_actor
from app.web.transaction import command
from forms.call_texts import CallTextsForm, LanguageTextsForm


def _show(form: CallTextsForm, call: Call) -> None:
    """Fill the form with the texts given so far, one row per criterion of the call, in its order."""
    for language in OTHER_LANGUAGES:
        given = given_texts(call, language)
        subform: LanguageTextsForm = getattr(form, language).form
        subform.title.data, subform.description.data = given.title, given.description
        while subform.criteria.entries:
            subform.criteria.pop_entry()
        for criterion in call.criteria:
            subform.criteria.append_entry({"key": criterion.key, **given.criteria[criterion.key]})


def _posted(form: CallTextsForm) -> dict[str, LanguageTexts]:
    texts: dict[str, LanguageTexts] = {}
    for language in OTHER_LANGUAGES:
        subform: LanguageTextsForm = getattr(form, language).form
        texts[language] = LanguageTexts(
            title=subform.title.data or "", description=subform.description.data or "",
            criteria={row.form.key.data: {"name": row.form.name.data or "",
                                          "description": row.form.description.data or ""}
                      for row in subform.criteria if row.form.key.data})
    return texts


def _locator(form: CallTextsForm) -> Any:
    """The field a refusal names ("fr.title", "de.criteria.<key>.name")."""
    def locate(name: str) -> Any:
        language, _, rest = name.partition(".")
        if language not in OTHER_LANGUAGES:
            return None
        subform: LanguageTextsForm = getattr(form, language).form
        if not rest.startswith("criteria."):
            return subform._fields.get(rest)
        key, _, field = rest.removeprefix("criteria.").partition(".")
        for row in subform.criteria:
            if row.form.key.data == key:
                return row.form._fields.get(field or "name")
        return None
    return locate


@bp.route("/calls/<code>/texts", methods=["GET", "POST"])
def call_texts(code: str) -> str | Response | tuple[str, int]:
    """The call's texts in French and German; empty fields read as the English."""
    call = load_call(code)
    form = CallTextsForm()
    status = 200
    if request.method == "GET":
        _show(form, call)
    elif form.validate():
        with command(form, locate=_locator(form)) as outcome:
            changed = update_call_texts(call, _posted(form), actor=current_actor())
        if outcome.ok:
            flash(gettext("The call's texts are saved.") if changed else gettext("Nothing changed."), "success")
            return redirect(url_for("manage.call_texts", code=code))
        status = outcome.status
    fixed = CHANGES[call_phase(call)][GROUP_OF["title"]] is Change.FIXED
    criteria = {criterion.key: criterion for criterion in call.criteria}
    return render_template("manage/call_texts.html", call=call, form=form, fixed=fixed, criteria=criteria,
                           languages=[(language, _language_heading(language)) for language in OTHER_LANGUAGES]), \
        422 if form.errors else status


def _language_heading(language: str) -> str:
    headings = {"fr": gettext("In French"), "de": gettext("In German")}
    return headings.get(language, LANGUAGE_NAMES[language])
