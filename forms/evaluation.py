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
from forms.auth import country_select_choices
from forms.intake import LOCAL_FORMATS
from forms.wording import ProductForm

REASON = [DataRequired("Give a reason."), Length(min=MIN_REASON_LENGTH, max=MAX_REASON_LENGTH,
                                                 message=f"At least {MIN_REASON_LENGTH} characters.")]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EligibilityForm(ProductForm):
    decision = RadioField("Decision", choices=[SelectChoice("eligible", "Eligible: it goes to evaluation"),
                                               SelectChoice("ineligible", "Ineligible: it is not evaluated")],
                          validators=[DataRequired("Choose eligible or ineligible.")])
    reason = TextAreaField("Reason", validators=REASON,
                           description="Kept in the audit trail; an ineligible proposal's letter quotes it.")
    submit = SubmitField("Record the decision")


class ConfirmPassingForm(ProductForm):
    reason = TextAreaField("Reason", validators=REASON, default="Every automatic eligibility check passed.")
    submit = SubmitField("Confirm as eligible every pending proposal that passes all checks")


class _PoolFields(ProductForm):
    organisation_name = StringField("Organisation", validators=[Optional(), Length(max=MAX_AFFILIATION)],
                                    description="Conflicts of interest are checked against it. Empty: the "
                                                "account's organisation.")
    country = SelectField("Country", choices=[], validators=[Optional()],
                          description="The coordinator's country is a conflict when the call says so.")
    expertise = MultiCheckboxField("Expertise", choices=[], validate_choice=False)
    max_load = IntegerField("Maximum load (proposals)", default=10,
                            validators=[InputRequired(), NumberRange(min=1, max=MAX_LOAD_LIMIT)])

    def __init__(self, *args: object, strands: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices("The account's country")
        self.expertise.choices = [SelectChoice(s, s) for s in strands or []]


class InviteEvaluatorForm(_PoolFields):
    email = EmailField("Evaluator's e-mail", validators=[DataRequired(), Length(max=254)],
                       description="An evaluator account (administrators create them under Accounts).")
    submit = SubmitField("Invite to the pool")


class PoolMemberForm(_PoolFields):
    submit = SubmitField("Save")


class ReasonForm(ProductForm):
    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."),
                                                 Length(min=MIN_WITHDRAWAL_REASON, max=MAX_REASON_LENGTH)])
    submit = SubmitField("Confirm")


class LongReasonForm(ProductForm):
    reason = TextAreaField("Reason", validators=REASON)
    submit = SubmitField("Confirm")


class AutoAssignForm(ProductForm):
    discard_proposed = BooleanField("Recompute the unpublished assignments too (published ones always stay)")
    submit = SubmitField("Compute the assignment")


class PublishForm(ProductForm):
    evaluation_deadline = DateTimeLocalField("Evaluation deadline (call's time zone)", format=LOCAL_FORMATS,
                                             validators=[DataRequired("Give the evaluation deadline.")],
                                             render_kw={"step": "1"},
                                             description="Individual reports are due by then; later ones are "
                                                         "flagged overdue.")
    submit = SubmitField("Publish to the evaluators")


class AddAssignmentForm(ProductForm):
    evaluator = SelectField("Evaluator", choices=[], validators=[DataRequired("Choose an evaluator.")],
                            validate_choice=False)
    submit = SubmitField("Assign")


class EvaluationSettingsForm(ProductForm):
    evaluators_per_proposal = IntegerField("Evaluators per proposal (k)",
                                           validators=[InputRequired(),
                                                       NumberRange(min=1, max=MAX_EVALUATORS_PER_PROPOSAL)])
    country_conflict = BooleanField("Keep evaluators away from the consortium's countries")
    # The panel rules' fields may be left out (an older form, the API's clients): the service keeps them as they are
    # and names a wrong value at its field.
    country_scope = SelectField("Countries kept away", choices=[SelectChoice(s.value, s.label) for s in CountryScope],
                                validate_choice=False)
    country_strength = SelectField("Strength of the country rule", choices=[
        SelectChoice("hard", "Hard: a conflict of interest, never assigned"),
        SelectChoice("soft", "Soft: avoided whenever the pool allows")], validate_choice=False)
    nationality_rule = SelectField("At most one evaluator of each nationality per proposal",
                                   choices=[SelectChoice(s.value, s.label) for s in RuleStrength],
                                   validators=[DataRequired()])
    gender_rule = SelectField("A minimum share of women and of men on every panel",
                              choices=[SelectChoice(s.value, s.label) for s in RuleStrength], validate_choice=False)
    gender_target = IntegerField("Target share of each gender (%)",
                                 validators=[Optional(),
                                             NumberRange(min=1, max=50, message="A share from 1 to 50 %%.")],
                                 description="Of a panel of 3, 40 % is 1 woman and 1 man (rounded down). Another "
                                             "gender, no answer and \"prefer not to say\" count for neither.")
    submit = SubmitField("Save")


class ActionForm(ProductForm):
    """A button that needs nothing but the CSRF token."""

    submit = SubmitField("Confirm")
