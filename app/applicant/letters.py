"""The applicant's letters: published decision letters of their organisation's proposals."""

from __future__ import annotations

from flask import render_template
from werkzeug.wrappers import Response

from app.applicant import bp
from app.clock import utcnow
from app.enums import letter_decision_label, letter_kind_label
from app.queries.access import load_letter
from app.queries.letters import applicant_letters
from app.queries.redress import redress_window, requests_by_letter
from app.services.redress import record_letter_opened
from app.web.access import current_actor
from app.web.downloads import send_letter


@bp.get("/letters")
def my_letters() -> str:
    letters = applicant_letters(current_actor())
    return render_template("applicant/letters.html", letters=letters, kind_label=letter_kind_label,
                           decision_label=letter_decision_label, now=utcnow(),
                           windows={letter.id: redress_window(letter, letter.proposal.call) for letter in letters},
                           requests=requests_by_letter(letters))


@bp.get("/letters/<int:letter_id>.pdf")
def letter_pdf(letter_id: int) -> Response:
    """A published letter of the user's organisation; 404 for any other (not theirs to know about). The first
    download is the letter's receipt, from which the time to request a review runs."""
    letter = load_letter(letter_id, current_actor())
    record_letter_opened(letter, actor=current_actor())
    return send_letter(letter)
