"""Officer forms of the evaluation stage: screening, the pool, assignments, conflicts, consensus approval."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.enums import CountryScope, RuleStrength
from app.models.limits import (
    MAX_AFFILIATION,
    MAX_EVALUATORS_PER_PROPOSAL,
    MAX_LOAD_LIMIT,
    MAX_REASON_LENGTH,
    MIN_REASON_LENGTH,
    MIN_WITHDRAWAL_REASON,
)
from app.translation import gettext
from app.translation import lazy_gettext as _l
from forms.auth import country_select_choices
from forms.intake import LOCAL_FORMATS
from forms.wording import ProductForm, Required

REASON = [Required(_l("Give a reason.")),
          Length(min=MIN_REASON_LENGTH, max=MAX_REASON_LENGTH,
                 message=_l("At least %(count)d characters.", count=MIN_REASON_LENGTH))]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EligibilityForm(ProductForm):
    decision = RadioField(_l("Decision"), choices=[SelectChoice("eligible", _l("Eligible: it goes to evaluation")),
                                                   SelectChoice("ineligible", _l("Ineligible: it is not evaluated"))],
                          validators=[Required(_l("Choose eligible or ineligible."))])
    reason = TextAreaField(_l("Reason"), validators=REASON,
                           description=_l("Kept in the audit trail; an ineligible proposal's letter quotes it."))
    submit = SubmitField(_l("Record the decision"))


class ConfirmPassingForm(ProductForm):
    reason = TextAreaField(_l("Reason"), validators=REASON, default=_l("Every automatic eligibility check passed."))
    submit = SubmitField(_l("Confirm as eligible every pending proposal that passes all checks"))


class _PoolFields(ProductForm):
    organisation_name = StringField(_l("Organisation"), validators=[Optional(), Length(max=MAX_AFFILIATION)],
                                    description=_l("Conflicts of interest are checked against it. Empty: the "
                                                   "account's organisation."))
    country = SelectField(_l("Country"), choices=[], validators=[Optional()],
                          description=_l("The coordinator's country is a conflict when the call says so."))
    expertise = MultiCheckboxField(_l("Expertise"), choices=[], validate_choice=False)
    max_load = IntegerField(_l("Maximum load (proposals)"), default=10,
                            validators=[InputRequired(), NumberRange(min=1, max=MAX_LOAD_LIMIT)])

    def __init__(self, *args: object, strands: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices(gettext("The account's country"))
        self.expertise.choices = [SelectChoice(s, s) for s in strands or []]


class InviteEvaluatorForm(_PoolFields):
    email = EmailField(_l("Evaluator's e-mail"), validators=[DataRequired(), Length(max=254)],
                       description=_l("An evaluator account (administrators create them under Accounts)."))
    submit = SubmitField(_l("Invite to the pool"))


class PoolMemberForm(_PoolFields):
    submit = SubmitField(_l("Save"))


class ReasonForm(ProductForm):
    reason = TextAreaField(_l("Reason"), validators=[Required(_l("Give a reason.")),
                                                     Length(min=MIN_WITHDRAWAL_REASON, max=MAX_REASON_LENGTH)])
    submit = SubmitField(_l("Confirm"))


class LongReasonForm(ProductForm):
    reason = TextAreaField(_l("Reason"), validators=REASON)
    submit = SubmitField(_l("Confirm"))


class AutoAssignForm(ProductForm):
    discard_proposed = BooleanField(_l("Recompute the unpublished assignments too (published ones always stay)"))
    submit = SubmitField(_l("Compute the assignment"))


class PublishForm(ProductForm):
    evaluation_deadline = DateTimeLocalField(_l("Evaluation deadline (call's time zone)"), format=LOCAL_FORMATS,
                                             validators=[Required(_l("Give the evaluation deadline."))],
                                             render_kw={"step": "1"},
                                             description=_l("Individual reports are due by then; later ones are "
                                                            "flagged overdue."))
    submit = SubmitField(_l("Publish to the evaluators"))


class AddAssignmentForm(ProductForm):
    evaluator = SelectField(_l("Evaluator"), choices=[], validators=[Required(_l("Choose an evaluator."))],
                            validate_choice=False)
    submit = SubmitField(_l("Assign"))


class EvaluationSettingsForm(ProductForm):
    evaluators_per_proposal = IntegerField(_l("Evaluators per proposal (k)"),
                                           validators=[InputRequired(),
                                                       NumberRange(min=1, max=MAX_EVALUATORS_PER_PROPOSAL)])
    country_conflict = BooleanField(_l("Keep evaluators away from the consortium's countries"))
    # The panel rules' fields may be left out (an older form, the API's clients): the service keeps them as they are
    # and names a wrong value at its field.
    country_scope = SelectField(_l("Countries kept away"),
                                choices=[SelectChoice(s.value, _l(s.label)) for s in CountryScope],
                                validate_choice=False)
    country_strength = SelectField(_l("Strength of the country rule"), choices=[
        SelectChoice("hard", _l("Hard: a conflict of interest, never assigned")),
        SelectChoice("soft", _l("Soft: avoided whenever the pool allows"))], validate_choice=False)
    nationality_rule = SelectField(_l("At most one evaluator of each nationality per proposal"),
                                   choices=[SelectChoice(s.value, _l(s.label)) for s in RuleStrength],
                                   validators=[DataRequired()])
    gender_rule = SelectField(_l("A minimum share of women and of men on every panel"),
                              choices=[SelectChoice(s.value, _l(s.label)) for s in RuleStrength], validate_choice=False)
    gender_target = IntegerField(_l("Target share of each gender (%)"),
                                 validators=[Optional(),
                                             NumberRange(min=1, max=50, message=_l("A share from 1 to 50 %%."))],
                                 description=_l("Of a panel of 3, %(share)d %% is 1 woman and 1 man (rounded down). "
                                                "Another gender, no answer and \"prefer not to say\" count for "
                                                "neither.", share=40))
    submit = SubmitField(_l("Save"))


class ActionForm(ProductForm):
    """A button that needs nothing but the CSRF token."""

    submit = SubmitField(_l("Confirm"))
