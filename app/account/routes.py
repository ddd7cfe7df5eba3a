"""My personal data: what is held about me, a download of all of it, corrections (name, e-mail address confirmed by
a link, my organisation's details) and erasure."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.account import bp
from app.enums import OrganisationType
from app.queries.access import is_member_of, load_email_change
from app.queries.erasure import assess_erasure
from app.queries.personal_data import email_link_matches, open_email_change
from app.queries.personal_data_export import export_filename, export_zip, personal_data_export
from app.services.errors import NotFound
from app.services.personal_data import (
    EMAIL_LINK_GONE,
    cancel_email_change,
    confirm_email_change,
    correct_name,
    correct_organisation,
    erase_account,
    export_personal_data,
    request_email_change,
)
from app.translation import gettext
from app.web.access import current_actor
from app.web.downloads import send_attachment
from app.web.transaction import command
from forms.personal_data import (
    CancelForm,
    ConfirmEmailForm,
    EmailChangeForm,
    ErasureForm,
    ExportForm,
    NameForm,
    OrganisationForm,
)


def _page(status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    """The page with its forms: those given (a refused one, with the input and its errors), fresh ones otherwise."""
    person = current_actor()
    organisation = person.organisation if person.organisation and is_member_of(person, person.organisation) else None
    name_form = forms.get("name_form") or NameForm(data={"full_name": person.full_name})
    organisation_form = forms.get("organisation_form")
    if organisation_form is None and organisation is not None:
        organisation_form = OrganisationForm(data={"organisation_name": organisation.name,
                                                   "country": organisation.country,
                                                   "organisation_type": organisation.type.value})
    summary = personal_data_export(person)
    context: dict[str, Any] = {
        "person": person, "counts": summary.counts(), "organisation": organisation,
        "export_form": ExportForm(), "name_form": name_form, "email_form": forms.get("email_form") or EmailChangeForm(),
        "organisation_form": organisation_form, "email_change": open_email_change(person), "cancel_form": CancelForm(),
    }
    return render_template("account/personal_data.html", **context), status


@bp.get("/")
def personal_data() -> tuple[str, int]:
    """My personal data: what is held, a download of all of it, corrections, erasure."""
    return _page()


@bp.post("/personal-data.zip")
def download() -> Response:
    """Everything held about me, as a ZIP (audited)."""
    person = current_actor()
    export = export_personal_data(person, actor=person)
    return send_attachment(export_zip(export), media_type="application/zip", filename=export_filename(person))


@bp.post("/name")
def name() -> Response | tuple[str, int]:
    form = NameForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            corrected = correct_name(current_actor(), actor=current_actor(), full_name=form.full_name.data or "")
        if outcome.ok:
            flash(gettext("Your name is corrected. Submitted versions keep the name they were submitted with; "
                          "their receipts show the correction.") if corrected
                  else gettext("Your name is unchanged."), "success")
            return redirect(url_for("account.personal_data"))
    return _page(422, name_form=form)


@bp.post("/organisation")
def organisation() -> Response | tuple[str, int]:
    person = current_actor()
    form = OrganisationForm()
    if person.organisation is None or not is_member_of(person, person.organisation):
        flash(gettext("You belong to no organisation: there is nothing to correct."), "error")
        return redirect(url_for("account.personal_data"))
    if form.validate_on_submit():
        with command(form, locate=lambda name: form._fields.get(name)) as outcome:
            corrected = correct_organisation(person.organisation, actor=person, name=form.organisation_name.data or "",
                                             country=form.country.data or "",
                                             type_=OrganisationType(form.organisation_type.data))
        if outcome.ok:
            flash(gettext("Your organisation's details are corrected for all its members.") if corrected
                  else gettext("Your organisation's details are unchanged."), "success")
            return redirect(url_for("account.personal_data"))
    return _page(422, organisation_form=form)


@bp.post("/email")
def email() -> Response | tuple[str, int]:
    form = EmailChangeForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            change = request_email_change(current_actor(), actor=current_actor(), new_email=form.new_email.data or "",
                                          password=form.password.data or "")
        if outcome.ok:
            flash(gettext("We sent a link to %(email)s: your address changes when you open it.",
                          email=change.new_email), "success")
            return redirect(url_for("account.personal_data"))
    return _page(422, email_form=form)


@bp.post("/email/<int(max=2147483647):change_id>/cancel")
def cancel_email(change_id: int) -> Response:
    change = load_email_change(change_id, current_actor())
    with command() as outcome:
        cancel_email_change(change, actor=current_actor())
    if outcome.ok:
        flash(gettext("The change of e-mail address is cancelled; the link no longer works."), "success")
    return redirect(url_for("account.personal_data"))


@bp.route("/email/<int(max=2147483647):change_id>/<link_token>", methods=["GET", "POST"])
def confirm_email(change_id: int, link_token: str) -> Response | tuple[str, int]:
    """Where the confirmation link lands: the person confirms, logged in, that the new address is theirs."""
    change = load_email_change(change_id, current_actor())
    if not email_link_matches(change, link_token):
        raise NotFound(EMAIL_LINK_GONE)
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        with command() as outcome:
            confirm_email_change(change, actor=current_actor(), token=link_token)
        if outcome.ok:
            flash(gettext("Your e-mail address is now %(email)s.", email=change.new_email), "success")
            return redirect(url_for("account.personal_data"))
    return render_template("account/confirm_email.html", change=change, form=form, link_token=link_token,
                           usable=change.is_open()), (200 if change.is_open() else 410)


@bp.route("/erasure", methods=["GET", "POST"])
def erasure() -> Response | tuple[str, int]:
    """Ask for my account to be erased: what goes now, what must wait and until when; then erase, with my password."""
    person = current_actor()
    form = ErasureForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        with command(form) as outcome:
            entry, assessment = erase_account(person, actor=person, password=form.password.data or "")
        if outcome.ok:
            logout_user()
            session.clear()
            return render_template("account/erased.html", entry=entry, assessment=assessment), 200
        status = outcome.status
    assessment = assess_erasure(person, current_app.config)
    return render_template("account/erasure.html", assessment=assessment, form=form), status
