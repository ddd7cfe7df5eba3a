"""Officer forms of the intake stage: a proposal's extension and a call's settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from wtforms import DateTimeLocalField, HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.call_inputs import CallSettings
from app.models import Call
from app.models.limits import MAX_PRIVACY_CONTACT
from app.translation import lazy_gettext as _l
from forms.proposal import MoneyField
from forms.wording import ProductForm, Required

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]


def in_zone(moment: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed in the call's zone, as an aware datetime."""
    return None if moment is None else moment.replace(tzinfo=ZoneInfo(zone))


def wall_clock(moment: datetime | None, zone: str) -> datetime | None:
    """An aware time as the naive wall-clock time a datetime-local input shows."""
    return None if moment is None else moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


class ExtensionForm(ProductForm):
    deadline = DateTimeLocalField(_l("New deadline for this proposal (Brussels time)"), format=LOCAL_FORMATS,
                                  validators=[Required(_l("Give the new deadline."))], render_kw={"step": "1"})
    reason = TextAreaField(_l("Reason"), validators=[Required(_l("Give the reason.")), Length(min=10, max=2000)],
                           description=_l("Shown to the applicant and kept in the audit trail."))
    submit = SubmitField(_l("Grant the extension"))

    def new_deadline(self, zone: str) -> datetime:
        """The deadline typed (required), as an aware time in the call's zone."""
        moment: datetime | None = self.deadline.data
        if moment is None:  # DataRequired refused the form before
            raise ValueError("the form was not validated")
        return moment.replace(tzinfo=ZoneInfo(zone))


class CallSettingsForm(ProductForm):
    opens_at = DateTimeLocalField(_l("Opens (call's time zone)"), format=LOCAL_FORMATS, validators=[DataRequired()],
                                  render_kw={"step": "1"})
    deadline = DateTimeLocalField(_l("Deadline (call's time zone)"), format=LOCAL_FORMATS,
                                  validators=[DataRequired()], render_kw={"step": "1"},
                                  description=_l("Submissions are accepted strictly before this second."))
    budget = MoneyField(_l("Budget (EUR)"), description=_l("Empty for calls without money (events)."))
    max_awards = IntegerField(_l("Award cap (number of proposals)"), validators=[Optional(), NumberRange(min=1)])
    max_grant_per_proposal = MoneyField(_l("Maximum grant per proposal (EUR)"))
    page_limit = IntegerField(_l("Page limit of each annex"), validators=[Optional(), NumberRange(min=1)])
    min_partners = IntegerField(_l("Minimum partners"), validators=[InputRequired(), NumberRange(min=1)])
    min_countries = IntegerField(_l("Minimum different countries"), validators=[InputRequired(), NumberRange(min=1)])
    eligible_countries = TextAreaField(
        _l("Eligible countries"), validators=[Length(max=2000)],
        description=_l("ISO codes separated by spaces or commas (e.g. BE DE FR); empty means any country."))
    duration_min_months = IntegerField(_l("Shortest duration (months)"), validators=[Optional(), NumberRange(min=1)])
    duration_max_months = IntegerField(_l("Longest duration (months)"), validators=[Optional(), NumberRange(min=1)])
    privacy_controller = TextAreaField(
        _l("Controller (who decides on the personal data, and how to reach them)"),
        validators=[Length(max=MAX_PRIVACY_CONTACT)],
        description=_l("Printed in the call's privacy statement. Empty: the instance's default controller."))
    privacy_dpo = TextAreaField(
        _l("Data protection officer (how to reach them)"), validators=[Length(max=MAX_PRIVACY_CONTACT)],
        description=_l("Printed in the call's privacy statement. Empty: the instance's default DPO."))
    reason = TextAreaField(
        _l("Why the deadline moves"), validators=[Length(max=2000)],
        description=_l("Needed once the call is published when the deadline changes; kept in the audit trail."))
    # The token of the overtaken extensions the officer was shown (see services.call_settings).
    confirm = HiddenField()
    submit = SubmitField(_l("Save the settings"))

    def show(self, call: Call) -> None:
        """Fill the form with the call's settings, times as wall-clock times in its zone."""
        zone = call.time_zone
        self.process(data={
            "opens_at": wall_clock(call.opens_at, zone), "deadline": wall_clock(call.deadline, zone),
            "budget": call.budget, "max_awards": call.max_awards, "max_grant_per_proposal": call.max_grant_per_proposal,
            "page_limit": call.page_limit, "min_partners": call.min_partners, "min_countries": call.min_countries,
            "eligible_countries": " ".join(call.eligible_countries or []),
            "duration_min_months": call.duration_min_months, "duration_max_months": call.duration_max_months,
            "privacy_controller": call.privacy_controller, "privacy_dpo": call.privacy_dpo,
        })

    def settings(self, zone: str) -> CallSettings:
        """Every setting of the form, typed; times typed in the call's zone."""
        return CallSettings.parse({
            "opens_at": in_zone(self.opens_at.data, zone), "deadline": in_zone(self.deadline.data, zone),
            "budget": self.budget.amount, "max_awards": self.max_awards.data,
            "max_grant_per_proposal": self.max_grant_per_proposal.amount, "page_limit": self.page_limit.data,
            "min_partners": self.min_partners.data, "min_countries": self.min_countries.data,
            "eligible_countries": (self.eligible_countries.data or "").replace(",", " ").split(),
            "duration_min_months": self.duration_min_months.data,
            "duration_max_months": self.duration_max_months.data,
            "privacy_controller": self.privacy_controller.data or "", "privacy_dpo": self.privacy_dpo.data or "",
        })
