"""Public letter verification: anyone holding a letter can check that it is genuine, and nothing private shows."""

from __future__ import annotations

import hashlib

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.enums import letter_decision_label, letter_kind_label
from app.extensions import limiter
from app.public import bp
from app.queries.erasure import erasure_rule_name, proposal_erasure
from app.queries.letters import find_letter_by_code, normalise_code
from app.translation import gettext as _


@bp.get("/verify")
@limiter.limit("60 per minute")
def verify() -> str | Response:
    """The form; `?code=` goes to the code's page."""
    code = request.args.get("code", "").strip()
    if code:
        normalised = normalise_code(code)
        return redirect(url_for("public.verify_letter", code=normalised or code))
    return render_template("public/verify.html", letter=None, code=None, match=None)


@bp.route("/verify/<code>", methods=["GET", "POST"])
@limiter.limit("60 per minute")
def verify_letter(code: str) -> tuple[str, int] | str:
    """Which call, proposal, decision and date a letter belongs to, and its SHA-256; POST a PDF to compare it."""
    letter = find_letter_by_code(code)
    if letter is None:
        return render_template("public/verify.html", letter=None, code=code, match=None), 404
    match = None
    if request.method == "POST":
        upload = request.files.get("pdf")
        if upload is not None and upload.filename:
            match = hashlib.sha256(upload.read()).hexdigest() == letter.sha256
    call = letter.proposal.call
    erased = proposal_erasure(letter.proposal_id)
    return render_template("public/verify.html", letter=letter, code=letter.verification_code, match=match,
                           call=call, decision=_(letter_decision_label(letter.kind, call.kind)),
                           kind=_(letter_kind_label(letter.kind, call.kind)), erased=erased,
                           erased_rule=_(erasure_rule_name(erased)) if erased else None)
