"""The coordinator's side of an evaluation review (redress): requesting one about a letter, following its state."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.applicant import bp
from app.clock import utcnow
from app.enums import LetterKind, RedressGround, letter_kind_label
from app.queries.access import load_letter
from app.queries.redress import redress_window, request_for
from app.services.redress import file_redress_request
from app.translation import current_language, gettext
from app.web.access import current_actor
from app.web.transaction import command
from forms.redress import RedressRequestForm


@bp.route("/letters/<int:letter_id>/review", methods=["GET", "POST"])
def redress_request(letter_id: int) -> Response | tuple[str, int]:
    """The review a letter allows: its window, the request once filed, or the form to file it."""
    letter = load_letter(letter_id, current_actor())
    call = letter.proposal.call
    form = RedressRequestForm()
    status = 200
    if letter.kind in (LetterKind.INELIGIBLE, LetterKind.REJECTION, LetterKind.RESERVE):
        form.offer_grounds_of(letter.kind)
        if form.validate_on_submit():
            with command(form, fallback=form.grounds_text, announce=True) as outcome:
                file_redress_request(letter.proposal, actor=current_actor(), stage=letter.kind,
                                     ground=RedressGround(form.ground.data), grounds_text=form.grounds_text.data)
            if outcome.ok:
                flash(gettext("Your request for a review is filed: the review committee will answer with a letter."),
                      "success")
                return redirect(url_for("applicant.redress_request", letter_id=letter.id))
            status = outcome.status
        elif form.is_submitted():
            status = 422
    return render_template(
        "applicant/redress_request.html", letter=letter, call=call, form=form, now=utcnow(),
        window=redress_window(letter, call), request=request_for(letter.proposal, letter.kind),
        kind_name=_kind_name(letter_kind_label(letter.kind, call.kind))), status


def _kind_name(label: str) -> str:
    """The letter's name inside a sentence: lower-case, except in German, which capitalises its nouns."""
    name = gettext(label)
    return name if current_language() == "de" else name.lower()
