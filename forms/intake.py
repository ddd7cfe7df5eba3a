"""Officer forms of the intake stage: a proposal's extension and a call's settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forms.proposal import MoneyField

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]


def in_zone(moment: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed in the call's zone, as an aware datetime."""
    return None if moment is None else moment.replace(tzinfo=ZoneInfo(zone))


def wall_clock(moment: datetime | None, zone: str) -> datetime | None:
    """An aware time as the naive wall-clock time a datetime-local input shows."""
    return None if moment is None else moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


class ExtensionForm(FlaskForm):
    deadline = DateTimeLocalField("New deadline for this proposal (Brussels time)", format=LOCAL_FORMATS,
                                  validators=[DataRequired("Give the new deadline.")], render_kw={"step": "1"})
    reason = TextAreaField("Reason", validators=[DataRequired("Give the reason."), Length(min=10, max=2000)],
                           description="Shown to the applicant and kept in the audit trail.")
    submit = SubmitField("Grant the extension")


class CallSettingsForm(FlaskForm):
    opens_at = DateTimeLocalField("Opens (call's time zone)", format=LOCAL_FORMATS, validators=[DataRequired()],
                                  render_kw={"step": "1"})
    deadline = DateTimeLocalField("Deadline (call's time zone)", format=LOCAL_FORMATS,
                                  validators=[DataRequired()], render_kw={"step": "1"},
                                  description="Submissions are accepted strictly before this second.")
    budget = MoneyField("Budget (EUR)", description="Empty for calls without money (events).")
    max_awards = IntegerField("Award cap (number of proposals)", validators=[Optional(), NumberRange(min=1)])
    max_grant_per_proposal = MoneyField("Maximum grant per proposal (EUR)")
    page_limit = IntegerField("Page limit of each annex", validators=[Optional(), NumberRange(min=1)])
    min_partners = IntegerField("Minimum partners", validators=[InputRequired(), NumberRange(min=1)])
    min_countries = IntegerField("Minimum different countries", validators=[InputRequired(), NumberRange(min=1)])
    eligible_countries = TextAreaField(
        "Eligible countries", validators=[Length(max=2000)],
        description="ISO codes separated by spaces or commas (e.g. BE DE FR); empty means any country.")
    duration_min_months = IntegerField("Shortest duration (months)", validators=[Optional(), NumberRange(min=1)])
    duration_max_months = IntegerField("Longest duration (months)", validators=[Optional(), NumberRange(min=1)])
    privacy_controller = TextAreaField(
        "Controller (who decides on the personal data, and how to reach them)", validators=[Length(max=1000)],
        description="Printed in the call's privacy statement. Empty: the instance's default controller.")
    privacy_dpo = TextAreaField(
        "Data protection officer (how to reach them)", validators=[Length(max=1000)],
        description="Printed in the call's privacy statement. Empty: the instance's default DPO.")
    # The token of the overtaken extensions the officer was shown (see services.call_settings).
    confirm = HiddenField()
    submit = SubmitField("Save the settings")
