"""My two-factor sign-in: set it up (secret as text and QR code, confirmed by a code), make new recovery codes,
turn it off. Required for officers and administrators (app.web.access.register_enrolment_gate), offered to all."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.account import bp
from app.extensions import limiter
from app.queries.two_factor import is_two_factor_required, qr_code_svg, recovery_codes_left
from app.services.two_factor import (
    confirm_enrolment,
    disable_two_factor,
    regenerate_recovery_codes,
    start_enrolment,
)
from app.translation import gettext
from app.web.access import current_actor
from app.web.transaction import command
from forms.two_factor import EnrolmentConfirmForm, EnrolmentStartForm, RecoveryCodesForm, TwoFactorDisableForm


def _page(status: int = 200, *, recovery_codes: list[str] | None = None, **forms: FlaskForm) -> tuple[str, int]:
    """The page in the account's state, with the forms given (a refused one keeps its input) or fresh ones."""
    person = current_actor()
    pending = person.totp_secret is not None and not person.has_two_factor
    context: dict[str, Any] = {
        "person": person, "required": is_two_factor_required(person), "pending": pending,
        "secret": person.totp_secret if pending else None, "qr_svg": qr_code_svg(person) if pending else None,
        "codes_left": recovery_codes_left(person) if person.has_two_factor else 0,
        "recovery_codes": recovery_codes,
        "start_form": EnrolmentStartForm(),
        "confirm_form": forms.get("confirm_form") or EnrolmentConfirmForm(formdata=None),
        "codes_form": forms.get("codes_form") or RecoveryCodesForm(formdata=None),
        "disable_form": forms.get("disable_form") or TwoFactorDisableForm(formdata=None),
    }
    return render_template("account/two_factor.html", **context), status


@bp.get("/two-factor")
def two_factor() -> tuple[str, int]:
    """Two-factor sign-in: its state, and what can be done with it."""
    return _page()


@bp.post("/two-factor/start")
def two_factor_start() -> Response | tuple[str, int]:
    """A new secret for the authenticator app (pending until confirmed by a code)."""
    if not EnrolmentStartForm().validate_on_submit():
        return _page(400)
    with command():
        start_enrolment(current_actor())
    return redirect(url_for("account.two_factor"))


@bp.post("/two-factor/confirm")
@limiter.limit("10 per minute")
def two_factor_confirm() -> tuple[str, int]:
    """Turn two-factor sign-in on with a code; the recovery codes are shown once, on this answer."""
    form = EnrolmentConfirmForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            codes = confirm_enrolment(current_actor(), code=form.code.data or "")
        if outcome.ok:
            flash(gettext("Two-factor sign-in is on: from now on a log-in asks for a code after your password."),
                  "success")
            return _page(recovery_codes=codes)
    return _page(422, confirm_form=form)


@bp.post("/two-factor/recovery-codes")
@limiter.limit("10 per minute")
def two_factor_recovery_codes() -> tuple[str, int]:
    """New recovery codes (the old ones stop working), shown once, on this answer."""
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            codes = regenerate_recovery_codes(current_actor(), code=form.code.data or "")
        if outcome.ok:
            flash(gettext("New recovery codes: the earlier ones no longer work."), "success")
            return _page(recovery_codes=codes)
    return _page(422, codes_form=form)


@bp.post("/two-factor/disable")
@limiter.limit("10 per minute")
def two_factor_disable() -> Response | tuple[str, int]:
    """Turn two-factor sign-in off, with the password and a code."""
    form = TwoFactorDisableForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            disable_two_factor(current_actor(), password=form.password.data or "", code=form.code.data or "")
        if outcome.ok:
            flash(gettext("Two-factor sign-in is off: a log-in asks for your password only."), "success")
            return redirect(url_for("account.two_factor"))
    return _page(422, disable_form=form)
