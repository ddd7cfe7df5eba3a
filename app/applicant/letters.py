"""The applicant's letters: published decision letters of their organisation's proposals."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from app.applicant import bp
from app.extensions import db
from app.models import Letter
from app.services import letters as letter_service
from app.web.downloads import send_letter


def _letter_or_404(letter_id: int) -> Letter:
    """A published letter of the user's organisation; 404 for any other (not theirs to know about)."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not letter_service.can_read_letter(current_user, letter):
        abort(404)
    return letter


@bp.get("/letters")
def my_letters() -> str:
    letters = letter_service.applicant_letters(current_user)
    return render_template("applicant/letters.html", letters=letters, kind_label=letter_service.kind_label,
                           decision_label=letter_service.decision_label)


@bp.get("/letters/<int:letter_id>.pdf")
def letter_pdf(letter_id: int) -> Response:
    letter = _letter_or_404(letter_id)
    return send_letter(letter)
