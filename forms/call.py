"""An officer's page of a call's configuration: every setting, by section (`app.call_inputs.SECTIONS`), criteria as
rows (empty rows are left out). The form only types what was written; the service checks the rules, so that the
page and the API refuse alike, each message at its field."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from app.call_inputs import CallSettings
from app.enums import CountryScope, DocumentKind, OrganisationType
from forms.evaluation import MultiCheckboxField
from forms.intake import LOCAL_FORMATS, in_zone, wall_clock
from forms.proposal import MoneyField
from forms.wording import ProductForm, ProductSubform

BLANK_CRITERIA = 2  # empty rows offered after the call's criteria, for new ones


class CriterionForm(ProductSubform):
    key = StringField("Key", validators=[Length(max=40)])
    name = StringField("Name", validators=[Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    max = StringField("Scale (0 to …)", default="5", validators=[Length(max=10)])
    weight = StringField("Weight", default="1", validators=[Length(max=10)])
    threshold = StringField("Threshold", validators=[Length(max=10)])

    def is_blank(self) -> bool:
        return not (self.key.data or "").strip() and not (self.name.data or "").strip()


def _number(label: str, **kwargs: Any) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=100_000)], **kwargs)


def _local(label: str, **kwargs: Any) -> DateTimeLocalField:
    return DateTimeLocalField(label, format=LOCAL_FORMATS, validators=[Optional()], render_kw={"step": "1"}, **kwargs)


class CallConfigurationForm(ProductForm):
    code = StringField("Code", validators=[Length(max=60)], description="e.g. SMP-COSME-2027-CLUSTER-01; never "
                       "changes once the call is opened.")
    title = StringField("Title", validators=[Length(max=300)])
    programme = StringField("Programme", validators=[Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice("grant", "Grant (money)"),
                                        SelectChoice("event", "Event (slots, no money)")])
    description = TextAreaField("Description (the public page)", validators=[Length(max=20_000)])
    opens_at = _local("Opens (call's time zone)")
    deadline = _local("Deadline (call's time zone)", description="Submissions are accepted strictly before it.")
    time_zone = StringField("Time zone", default="Europe/Brussels", validators=[Length(max=60)])
    reason = TextAreaField("Why the deadline moves", validators=[Length(max=2000)],
                           description="Needed once the call is published when the deadline changes; audited.")
    budget = MoneyField("Budget (EUR)", description="Empty: no money (event calls).")
    max_awards = _number("Award cap (proposals)")
    max_grant_per_proposal = MoneyField("Maximum grant per proposal (EUR)")
    budget_policy = SelectField("When a grant does not fit the budget left", choices=[
        SelectChoice("skip", "skip it and go on down the list"), SelectChoice("stop", "stop the list there")])
    reserve_size = _number("Reserve list size", default=0)
    min_partners = _number("Minimum partners", default=1)
    min_countries = _number("Minimum different countries", default=1)
    eligible_countries = TextAreaField("Eligible countries", validators=[Length(max=2000)],
                                       description="ISO codes separated by spaces or commas; empty: any country.")
    page_limit = _number("Page limit of each annex")
    duration_min_months = _number("Shortest duration (months)")
    duration_max_months = _number("Longest duration (months)")
    organisation_types = MultiCheckboxField(
        "Eligible organisation types", choices=[SelectChoice(t.value, t.label) for t in OrganisationType],
        validate_choice=False, description="Every partner, the coordinator included, must be of one of the ticked "
                                           "types; none ticked: any type.")
    required_annexes = MultiCheckboxField(
        "Required annexes", choices=[SelectChoice(k.value, k.label) for k in DocumentKind], validate_choice=False,
        description="A proposal cannot be submitted without each of them.")
    optional_annexes = MultiCheckboxField(
        "Optional annexes", choices=[SelectChoice(k.value, k.label) for k in DocumentKind], validate_choice=False,
        description="Applicants may add them; the upload offers no other type.")
    strands = TextAreaField("Strands or thematic areas", validators=[Length(max=20_000)],
                            description="One per line.")
    strand_label = StringField("What the call calls them", default="Strand", validators=[Length(max=60)])
    coverage_field = SelectField("Coverage rule", choices=[
        SelectChoice("", "none"), SelectChoice("strand", "fund the best of each strand first")])
    evaluators_per_proposal = _number("Evaluators per proposal", default=3)
    evaluation_deadline = _local("Evaluation reports due (call's time zone)")
    country_conflict = BooleanField("Keep evaluators away from the consortium's countries", default=True)
    country_conflict_scope = SelectField("Countries kept away", default="coordinator", choices=[
        SelectChoice(s.value, s.label) for s in CountryScope])
    country_conflict_strength = SelectField("Strength of the country rule", default="hard", choices=[
        SelectChoice("hard", "Hard: a conflict of interest, never assigned"),
        SelectChoice("soft", "Soft: avoided whenever the pool allows")])
    evaluation_mode = SelectField("Evaluation", default="experts", choices=[
        SelectChoice("experts", "Evaluators score the proposals against the criteria"),
        SelectChoice("assessment", "The officer assesses each eligible proposal (expression of interest)")],
        description="Assessment: no budget and no scores; the places (award cap) go to the proposals assessed "
                    "suitable, best fit first. The criteria are then not used.")
    criteria = FieldList(FormField(CriterionForm), min_entries=1)
    overall_threshold = StringField("Overall threshold (unweighted sum)", validators=[Length(max=10)])
    tie_break = StringField("Tie-break order", validators=[Length(max=400)],
                            description="Criterion keys, most important first, e.g. relevance, impact.")
    letter_contact = StringField("Letters' contact point", validators=[Length(max=200)],
                                 description="Empty: the instance's.")
    grant_preparation_days = _number("Days from the letter to grant preparation", description="Empty: the "
                                     "instance's.")
    redress_days = _number("Days to request an evaluation review", description="From the letter's receipt. Empty: "
                           "the instance's (30).")
    redress_unopened_days = _number("Days until an unopened letter counts as received", description="Empty: the "
                                    "instance's (10).")
    privacy_controller = TextAreaField("Controller's contact", validators=[Length(max=1000)])
    privacy_dpo = TextAreaField("Data protection officer's contact", validators=[Length(max=1000)])
    redress_wording = TextAreaField(
        "Further means of redress (letters)", validators=[Length(max=2000)],
        description="The letters' paragraph after the evaluation review (Ombudsman, General Court), printed as "
                    "written. Empty: the standard wording, in the letter's language.")
    submit = SubmitField("Save the call")

    def show(self, values: dict[str, Any], *, blank_rows: int = BLANK_CRITERIA) -> None:
        """Fill the form with a call's settings (`app.services.call_settings.current_settings`)."""
        zone = values.get("time_zone") or "Europe/Brussels"
        data = dict(values)
        for name in ("opens_at", "deadline", "evaluation_deadline"):
            data[name] = wall_clock(values.get(name), zone)
        data["eligible_countries"] = " ".join(values.get("eligible_countries") or ())
        data["strands"] = "\n".join(values.get("strands") or ())
        data["tie_break"] = ", ".join(values.get("tie_break") or ())
        for name in ("organisation_types", "required_annexes", "optional_annexes"):
            data[name] = list(values.get(name) or ())
        data["coverage_field"] = values.get("coverage_field") or ""
        for name in ("overall_threshold",):
            data[name] = "" if values.get(name) is None else str(values[name])
        data["criteria"] = [{**c.as_dict(), "threshold": c.as_dict()["threshold"] or ""}
                            for c in values.get("criteria") or ()] + [{"max": "5", "weight": "1"}] * blank_rows
        self.process(data=data)

    def settings(self, *, with_code: bool) -> CallSettings:
        """Every setting of the page, typed; times typed in the zone the page gives."""
        zone = (self.time_zone.data or "").strip() or "Europe/Brussels"
        try:
            moments = {name: in_zone(getattr(self, name).data, zone)
                       for name in ("opens_at", "deadline", "evaluation_deadline")}
        except (ZoneInfoNotFoundError, ValueError):  # an unknown zone: the settings name it
            moments = {name: getattr(self, name).data for name in ("opens_at", "deadline", "evaluation_deadline")}
        raw: dict[str, Any] = {
            "title": self.title.data, "programme": self.programme.data, "kind": self.kind.data,
            "description": self.description.data, "time_zone": zone, "budget": self.budget.amount,
            "max_awards": self.max_awards.data, "max_grant_per_proposal": self.max_grant_per_proposal.amount,
            "budget_policy": self.budget_policy.data, "reserve_size": self.reserve_size.data or 0,
            "min_partners": self.min_partners.data, "min_countries": self.min_countries.data,
            "eligible_countries": (self.eligible_countries.data or "").replace(",", " ").split(),
            "page_limit": self.page_limit.data, "duration_min_months": self.duration_min_months.data,
            "duration_max_months": self.duration_max_months.data,
            "strands": (self.strands.data or "").splitlines(), "strand_label": self.strand_label.data,
            "coverage_field": self.coverage_field.data or None,
            "evaluators_per_proposal": self.evaluators_per_proposal.data,
            "country_conflict": bool(self.country_conflict.data),
            "country_conflict_scope": self.country_conflict_scope.data,
            "country_conflict_strength": self.country_conflict_strength.data,
            "evaluation_mode": self.evaluation_mode.data,
            "criteria": [{name: row.form[name].data for name in ("key", "name", "description", "max", "weight",
                                                                  "threshold")}
                         for row in self.criteria if not row.form.is_blank()],
            "overall_threshold": self.overall_threshold.data,
            "tie_break": (self.tie_break.data or "").replace(",", " ").split(),
            "letter_contact": self.letter_contact.data, "grant_preparation_days": self.grant_preparation_days.data,
            "redress_days": self.redress_days.data, "redress_unopened_days": self.redress_unopened_days.data,
            "privacy_controller": self.privacy_controller.data, "privacy_dpo": self.privacy_dpo.data,
            "organisation_types": self.organisation_types.data or [],
            "required_annexes": self.required_annexes.data or [], "optional_annexes": self.optional_annexes.data or [],
            "redress_wording": self.redress_wording.data,
        }
        for name, moment in moments.items():
            if moment is not None or name == "evaluation_deadline":
                raw[name] = moment
        if with_code:
            raw["code"] = self.code.data
        return CallSettings.parse(raw)

    def field_named(self, name: str) -> Any:
        """The field a refusal's name means: `criteria.2.weight` is the weight of the second criterion row shown
        (the rows the settings kept, blank ones left out)."""
        parts = name.split(".")
        if parts[0] == "criteria" and len(parts) == 3:
            rows = [row for row in self.criteria if not row.form.is_blank()]
            index = int(parts[1]) - 1
            return rows[index].form[parts[2]] if 0 <= index < len(rows) else self.criteria
        return self._fields.get(name)




class CallActionForm(ProductForm):
    """Publish or archive: nothing but the CSRF token and the button."""

    submit = SubmitField("Confirm")
