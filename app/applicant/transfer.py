"""The applicant's side of transfer offers: a proposal not selected in one call (stakeholder sessions) may be
copied into another (local events) with the organisation's consent."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.applicant import bp
from app.queries.access import load_offer
from app.queries.transfer import offers_for
from app.services.transfer import accept_offer, decline_offer
from app.translation import gettext
from app.web.access import current_actor
from app.web.transaction import command
from forms.selection import ConfirmForm


@bp.get("/offers")
def transfer_offers() -> str:
    return render_template("applicant/transfer_offers.html", offers=offers_for(current_actor()))


@bp.get("/offers/<int:offer_id>")
def transfer_offer(offer_id: int) -> str:
    offer = load_offer(offer_id, current_actor())
    return render_template("applicant/transfer_offer.html", offer=offer, form=ConfirmForm())


@bp.post("/offers/<int:offer_id>/<any(accept, decline):answer>")
def transfer_answer(offer_id: int, answer: str) -> Response:
    offer = load_offer(offer_id, current_actor())
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(gettext("The form expired; please answer again."), "error")
        return redirect(url_for("applicant.transfer_offer", offer_id=offer.id))
    with command() as outcome:
        if answer == "accept":
            copy = accept_offer(offer, actor=current_actor())
        else:
            decline_offer(offer, actor=current_actor())
    if outcome.ok and answer == "accept":
        flash(gettext("Accepted: %(reference)s is now submitted to %(call)s.", reference=copy.reference,
                call=offer.target_call.code), "success")
    elif outcome.ok:
        flash(gettext("Declined: the proposal stays where it is."), "success")
    return redirect(url_for("applicant.transfer_offer", offer_id=offer.id))
