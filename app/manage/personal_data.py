"""Personal data, for officers and administrators: a person's data exported for a request received by post, an
erasure on a person's behalf (administrators), and the log of officers' access to personal data (administrators)."""

from __future__ import annotations

from flask import render_template, request

from app.enums import Role
from app.manage import bp
from app.queries.personal_data import ACCESS_LOG_PAGE, access_log, find_person
from app.web.access import role_required


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
    return render_template("manage/personal_data.html", email=email, person=person)
