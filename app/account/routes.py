from __future__ import annotations

from flask import render_template
from werkzeug.wrappers import Response

from app.account import bp
from app.queries.personal_data import export_filename, export_zip, personal_data_export
from app.services.personal_data import export_personal_data
from app.web.access import current_actor
from app.web.downloads import send_attachment
from forms.personal_data import ExportForm


@bp.get("/")
def personal_data() -> str:
    """My personal data: what is held, a download of all of it, corrections, erasure."""
    person = current_actor()
    summary = personal_data_export(person)
    return render_template("account/personal_data.html", person=person, counts=summary.counts(),
                           export_form=ExportForm())


@bp.post("/personal-data.zip")
def download() -> Response:
    """Everything held about me, as a ZIP (audited)."""
    person = current_actor()
    export = export_personal_data(person, actor=person)
    return send_attachment(export_zip(export), media_type="application/zip", filename=export_filename(person))
