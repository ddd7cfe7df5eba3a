"""Personal data, for officers and administrators: a person's data exported for a request received by post, an
erasure on a person's behalf (administrators), and the log of officers' access to personal data (administrators)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.enums import ErasureKind, Role
from app.manage import bp
from app.models import User
from app.queries.access import load_person
from app.queries.erasure import assess_erasure, erasure_of
from app.queries.personal_data import ACCESS_LOG_PAGE, access_log, find_person
from app.queries.personal_data_export import export_filename, export_zip
from app.services.personal_data import erase_account, export_personal_data
from app.translation import ngettext
from app.web.access import current_actor, role_required
from app.web.downloads import send_attachment
from app.web.transaction import command
from forms.personal_data import OfficerErasureForm, OfficerExportForm


@bp.get("/personal-data/access-log")
@role_required(Role.ADMIN)
def personal_data_access_log() -> str:
    """Who viewed which proposal's personal data, or exported whose, and when (newest first)."""
    officer = request.args.get("officer", "")[:254]
    reference = request.args.get("reference", "")[:80]
    rows = access_log(officer_email=officer, reference=reference)
    return render_template("manage/personal_data_access_log.html", rows=rows, officer=officer, reference=reference,
                           page_size=ACCESS_LOG_PAGE)


def _person_page(email: str, person: User | None, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    actor = current_actor()
    erased = erasure_of(ErasureKind.PERSON, person.id) if person is not None else None
    assessment = (assess_erasure(person, current_app.config)
                  if person is not None and erased is None and actor.has_role(Role.ADMIN) else None)
    return render_template("manage/personal_data.html", email=email, person=person, erased=erased,
                           assessment=assessment, export_form=forms.get("export_form") or OfficerExportForm(),
                           erasure_form=forms.get("erasure_form") or OfficerErasureForm()), status


@bp.get("/personal-data")
def personal_data() -> tuple[str, int]:
    """Find a person by e-mail address, to answer a request received by post."""
    email = request.args.get("email", "")[:254]
    person = find_person(email) if email.strip() else None
    return _person_page(email, person)


@bp.post("/personal-data/people/<int(max=2147483647):user_id>/export")
def personal_data_export_for(user_id: int) -> Response | tuple[str, int]:
    """A person's data for a request received by post (audited, and on the access log)."""
    person = load_person(user_id, current_actor())
    form = OfficerExportForm()
    status = 422
    if form.validate_on_submit():
        with command(form) as outcome:
            export = export_personal_data(person, actor=current_actor(),
                                          request_reference=form.request_reference.data or "")
        if outcome.ok:
            return send_attachment(export_zip(export), media_type="application/zip",
                                   filename=export_filename(person))
        status = outcome.status
    return _person_page(person.email, person, status, export_form=form)


@bp.post("/personal-data/people/<int(max=2147483647):user_id>/erasure")
@role_required(Role.ADMIN)
def personal_data_erase_for(user_id: int) -> Response | tuple[str, int]:
    """Erase a person on their behalf, for a request received by post (administrators)."""
    person = load_person(user_id, current_actor())
    email = person.email
    form = OfficerErasureForm()
    status = 422
    if form.validate_on_submit():
        with command(form) as outcome:
            entry, assessment = erase_account(person, actor=current_actor(),
                                              request_reference=form.request_reference.data or "")
        if outcome.ok:
            flash(ngettext("Erased: the account is now “%(label)s”. %(num)d kind of record waits for its retention "
                           "rule; the erasure register lists it.",
                           "Erased: the account is now “%(label)s”. %(num)d kinds of record wait for their retention "
                           "rule; the erasure register lists them.", len(assessment.waiting), label=entry.label),
                  "success")
            return redirect(url_for("manage.personal_data"))
        status = outcome.status
    return _person_page(email, person, status, erasure_form=form)
