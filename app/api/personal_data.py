"""Personal data over the API: the texts people accept (with their versions), and a person's own data."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields

from app.api import bp
from app.enums import ConsentKind
from app.privacy.texts import current_text
from app.queries.personal_data_export import export_filename, export_zip
from app.services.errors import NotFound
from app.services.personal_data import export_personal_data
from app.web.access import current_actor
from app.web.downloads import send_attachment


class AcceptedTextSchema(Schema):
    kind = fields.String()
    version = fields.String(metadata={"description": "Send it back when accepting (e.g. `declaration_version`)"})
    lines = fields.List(fields.String())
    sha256 = fields.String(metadata={"description": "SHA-256 of the lines joined by newlines"})


@bp.get("/texts/<kind>")
@bp.response(200, AcceptedTextSchema)
def get_text(kind: str) -> dict[str, Any]:
    """The current version of a text people accept: `code_of_conduct` or `submission_declaration`."""
    try:
        text = current_text(ConsentKind(kind))
    except ValueError as error:
        raise NotFound(f"There is no text {kind!r}.") from error
    return {"kind": text.kind.value, "version": text.version, "lines": list(text.lines), "sha256": text.sha256}


@bp.post("/me/personal-data")
@bp.response(200, description="Everything held about you: personal-data.json, README.txt and your files (ZIP)",
             content_type="application/zip")
def export_my_data() -> Response:
    """Download everything Eurogrants holds about you (access and portability; audited)."""
    person = current_actor()
    export = export_personal_data(person, actor=person)
    return send_attachment(export_zip(export), media_type="application/zip", filename=export_filename(person))
