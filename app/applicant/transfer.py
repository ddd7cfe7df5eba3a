"""The applicant's side of transfer offers: a proposal not selected in one call (stakeholder sessions) may be
copied into another (local events) with the organisation's consent."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.applicant import bp
from app.extensions import db
from app.models.selection import TransferOffer
from app.services.errors import DomainError
from app.services.transfer import accept_offer, decline_offer, get_offer_for, offers_for
from forms.selection import ConfirmForm


def _offer_or_404(offer_id: int) -> TransferOffer:
    """An offer to the user's organisation; 404 for any other (not theirs to know about)."""
    try:
        return get_offer_for(current_user, offer_id)
    except DomainError:
        abort(404)


@bp.get("/offers")
def transfer_offers() -> str:
    return render_template("applicant/transfer_offers.html", offers=offers_for(current_user))


@bp.get("/offers/<int:offer_id>")
def transfer_offer(offer_id: int) -> str:
    return render_template("applicant/transfer_offer.html", offer=_offer_or_404(offer_id), form=ConfirmForm())


@bp.post("/offers/<int:offer_id>/<any(accept, decline):answer>")
def transfer_answer(offer_id: int, answer: str) -> Response:
    offer = _offer_or_404(offer_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The form expired; please answer again.", "error")
        return redirect(url_for("applicant.transfer_offer", offer_id=offer.id))
    try:
        if answer == "accept":
            copy = accept_offer(offer, actor=current_user)
        else:
            decline_offer(offer, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("applicant.transfer_offer", offer_id=offer.id))
    db.session.commit()
    if answer == "accept":
        flash(f"Accepted: {copy.reference} is now submitted to {offer.target_call.code}.", "success")
    else:
        flash("Declined: the proposal stays where it is.", "success")
    return redirect(url_for("applicant.transfer_offer", offer_id=offer.id))
