"""Forms of personal data requests: the export, corrections, the e-mail change, erasure."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class ExportForm(FlaskForm):
    submit = SubmitField("Download everything (ZIP)")


class OfficerExportForm(FlaskForm):
    request_reference = StringField(
        "Request answered", validators=[DataRequired("Give the reference of the request."), Length(max=300)],
        description="The letter's date or registration number: it goes into the audit trail and the access log.")
    submit = SubmitField("Export their data (ZIP)")
