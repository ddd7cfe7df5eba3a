"""Personal data, for officers and administrators: a person's data exported for a request received by post, an
erasure on a person's behalf (administrators), and the log of officers' access to personal data (administrators)."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response

from app.enums import Role
from app.manage import bp
from app.queries.access import load_person
from app.queries.personal_data import ACCESS_LOG_PAGE, access_log, export_filename, export_zip, find_person
from app.services.personal_data import export_personal_data
from app.web.access import current_actor, role_required
from app.web.downloads import send_attachment
from app.web.transaction import command
from forms.personal_data import OfficerExportForm


@bp.get("/personal-data/access-log")
@role_required(Role.ADMIN)
def personal_data_access_log() -> str:
    """Who viewed which proposal's personal data, or exported whose, and when (newest first)."""
    officer = request.args.get("officer", "")[:254]
    reference = request.args.get("reference", "")[:80]
    rows = access_log(officer_email=officer, reference=reference)
    return render_template("manage/personal_data_access_log.html", rows=rows, officer=officer, reference=reference,
                           page_size=ACCESS_LOG_PAGE)


@bp.get("/personal-data")
def personal_data() -> str:
    """Find a person by e-mail address, to answer a request received by post."""
    email = request.args.get("email", "")[:254]
    person = find_person(email) if email.strip() else None
    return render_template("manage/personal_data.html", email=email, person=person, export_form=OfficerExportForm())


@bp.post("/personal-data/people/<int(max=2147483647):user_id>/export")
def personal_data_export_for(user_id: int) -> Response | tuple[str, int]:
    """A person's data for a request received by post (audited, and on the access log)."""
    person = load_person(user_id, current_actor())
    form = OfficerExportForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            export = export_personal_data(person, actor=current_actor(),
                                          request_reference=form.request_reference.data or "")
        if outcome.ok:
            return send_attachment(export_zip(export), media_type="application/zip",
                                   filename=export_filename(person))
    return render_template("manage/personal_data.html", email=person.email, person=person, export_form=form), 422
