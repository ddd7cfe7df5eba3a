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
from app.translation import lazy_gettext as _l
from forms.evaluation import MultiCheckboxField
from forms.intake import LOCAL_FORMATS, in_zone, wall_clock
from forms.proposal import MoneyField
from forms.wording import ProductForm, ProductSubform

BLANK_CRITERIA = 2  # empty rows offered after the call's criteria, for new ones


class CriterionForm(ProductSubform):
    key = StringField(_l("Key"), validators=[Length(max=40)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    max = StringField(_l("Scale (0 to …)"), default="5", validators=[Length(max=10)])
    weight = StringField(_l("Weight"), default="1", validators=[Length(max=10)])
    threshold = StringField(_l("Threshold"), validators=[Length(max=10)])

    def is_blank(self) -> bool:
        return not (self.key.data or "").strip() and not (self.name.data or "").strip()


def _number(label: str, **kwargs: Any) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=100_000)], **kwargs)


def _local(label: str, **kwargs: Any) -> DateTimeLocalField:
    return DateTimeLocalField(label, format=LOCAL_FORMATS, validators=[Optional()], render_kw={"step": "1"}, **kwargs)


class CallConfigurationForm(ProductForm):
    code = StringField(_l("Code"), validators=[Length(max=60)], description=_l("e.g. SMP-COSME-2027-CLUSTER-01; never "
                       "changes once the call is opened."))
    title = StringField(_l("Title"), validators=[Length(max=300)])
    programme = StringField(_l("Programme"), validators=[Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("grant", _l("Grant (money)")),
                                        SelectChoice("event", _l("Event (slots, no money)"))])
    description = TextAreaField(_l("Description (the public page)"), validators=[Length(max=20_000)])
    opens_at = _local(_l("Opens (call's time zone)"))
    deadline = _local(_l("Deadline (call's time zone)"), description=_l("Submissions are accepted strictly before it."))
    time_zone = StringField(_l("Time zone"), default="Europe/Brussels", validators=[Length(max=60)])
    reason = TextAreaField(_l("Why the deadline moves"), validators=[Length(max=2000)],
                           description=_l("Needed once the call is published when the deadline changes; audited."))
    budget = MoneyField(_l("Budget (EUR)"), description=_l("Empty: no money (event calls)."))
    max_awards = _number(_l("Award cap (proposals)"))
    max_grant_per_proposal = MoneyField(_l("Maximum grant per proposal (EUR)"))
    budget_policy = SelectField(_l("When a grant does not fit the budget left"), choices=[
        SelectChoice("skip", _l("skip it and go on down the list")), SelectChoice("stop", _l("stop the list there"))])
    reserve_size = _number(_l("Reserve list size"), default=0)
    min_partners = _number(_l("Minimum partners"), default=1)
    min_countries = _number(_l("Minimum different countries"), default=1)
    eligible_countries = TextAreaField(_l("Eligible countries"), validators=[Length(max=2000)],
                                       description=_l("ISO codes separated by spaces or commas; empty: any country."))
    page_limit = _number(_l("Page limit of each annex"))
    duration_min_months = _number(_l("Shortest duration (months)"))
    duration_max_months = _number(_l("Longest duration (months)"))
    organisation_types = MultiCheckboxField(
        _l("Eligible organisation types"), choices=[SelectChoice(t.value, _l(t.label)) for t in OrganisationType],
        validate_choice=False, description=_l("Every partner, the coordinator included, must be of one of the ticked "
                                           "types; none ticked: any type."))
    required_annexes = MultiCheckboxField(
        _l("Required annexes"), choices=[SelectChoice(k.value, _l(k.label)) for k in DocumentKind],
        validate_choice=False,
        description=_l("A proposal cannot be submitted without each of them."))
    optional_annexes = MultiCheckboxField(
        _l("Optional annexes"), choices=[SelectChoice(k.value, _l(k.label)) for k in DocumentKind],
        validate_choice=False,
        description=_l("Applicants may add them; the upload offers no other type."))
    strands = TextAreaField(_l("Strands or thematic areas"), validators=[Length(max=20_000)],
                            description=_l("One per line."))
    strand_label = StringField(_l("What the call calls them"), default="Strand", validators=[Length(max=60)])
    coverage_field = SelectField(_l("Coverage rule"), choices=[
        SelectChoice("", _l("none")), SelectChoice("strand", _l("fund the best of each strand first"))])
    evaluators_per_proposal = _number(_l("Evaluators per proposal"), default=3)
    evaluation_deadline = _local(_l("Evaluation reports due (call's time zone)"))
    country_conflict = BooleanField(_l("Keep evaluators away from the consortium's countries"), default=True)
    country_conflict_scope = SelectField(_l("Countries kept away"), default="coordinator", choices=[
        SelectChoice(s.value, _l(s.label)) for s in CountryScope])
    country_conflict_strength = SelectField(_l("Strength of the country rule"), default="hard", choices=[
        SelectChoice("hard", _l("Hard: a conflict of interest, never assigned")),
        SelectChoice("soft", _l("Soft: avoided whenever the pool allows"))])
    evaluation_mode = SelectField(_l("Evaluation"), default="experts", choices=[
        SelectChoice("experts", _l("Evaluators score the proposals against the criteria")),
        SelectChoice("assessment", _l("The officer assesses each eligible proposal (expression of interest)"))],
        description=_l("Assessment: no budget and no scores; the places (award cap) go to the proposals assessed "
                    "suitable, best fit first. The criteria are then not used."))
    criteria = FieldList(FormField(CriterionForm), min_entries=1)
    overall_threshold = StringField(_l("Overall threshold (unweighted sum)"), validators=[Length(max=10)])
    tie_break = StringField(_l("Tie-break order"), validators=[Length(max=400)],
                            description=_l("Criterion keys, most important first, e.g. relevance, impact."))
    letter_contact = StringField(_l("Letters' contact point"), validators=[Length(max=200)],
                                 description=_l("Empty: the instance's."))
    grant_preparation_days = _number(_l("Days from the letter to grant preparation"), description=_l("Empty: the "
                                     "instance's."))
    redress_days = _number(_l("Days to request an evaluation review"),
                           description=_l("From the letter's receipt. Empty: the instance's (30)."))
    redress_unopened_days = _number(_l("Days until an unopened letter counts as received"), description=_l("Empty: the "
                                    "instance's (10)."))
    privacy_controller = TextAreaField(_l("Controller's contact"), validators=[Length(max=1000)])
    privacy_dpo = TextAreaField(_l("Data protection officer's contact"), validators=[Length(max=1000)])
    redress_wording = TextAreaField(
        _l("Further means of redress (letters)"), validators=[Length(max=2000)],
        description=_l("The letters' paragraph after the evaluation review (Ombudsman, General Court), printed as "
                    "written. Empty: the standard wording, in the letter's language."))
    submit = SubmitField(_l("Save the call"))

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

    submit = SubmitField(_l("Confirm"))
