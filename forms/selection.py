"""Forms of ranking and selection: run options, tie resolution, finalisation, promotion, transfer offers."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.translation import lazy_gettext as _l
from forms.wording import ProductForm

POLICY_CHOICES = [
    SelectChoice("skip", _l("Skip: pass over a proposal that does not fit the budget left and go on")),
    SelectChoice("stop", _l("Stop: end the funding walk at the first proposal that does not fit")),
]
RELEASE_CHOICES = [
    SelectChoice("declined", _l("The consortium declined the grant")),
    SelectChoice("ineligible", _l("The consortium was found ineligible")),
]


class SelectionRunForm(ProductForm):
    budget_policy = SelectField(_l("Budget policy"), choices=POLICY_CHOICES, validators=[DataRequired()])
    reserve_size = IntegerField(_l("Reserve list size"), validators=[InputRequired(), NumberRange(min=0, max=1000)],
                                description=_l("How many passing proposals that are not selected form the reserve "
                                               "list."))
    coverage = BooleanField(_l("Coverage rule: at least one proposal per strand where thresholds and budget allow"))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)],
                         description=_l("Why you run it, e.g. “what-if: stop policy”."))
    submit = SubmitField(_l("Run the selection"))


class TieResolutionForm(ProductForm):
    order = TextAreaField(
        _l("Order, first to last"), validators=[DataRequired(), Length(max=4000)],
        description=_l("The references of the tied proposals, one per line, in the order you decide."),
    )
    justification = TextAreaField(
        _l("Justification"), validators=[DataRequired(), Length(min=20, max=4000)],
        description=_l("Shown with the ranking and kept in the audit trail (at least 20 characters)."),
    )
    submit = SubmitField(_l("Record this order"))


class FinaliseForm(ProductForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Confirm and finalise"))


class PromotionForm(ProductForm):
    reference = SelectField(_l("Selected proposal that leaves"), choices=[], validators=[DataRequired()])
    reason = RadioField(_l("What happened"), choices=RELEASE_CHOICES, validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(min=10, max=2000)],
                         description=_l("What happened and when, e.g. “Declined by letter of 3 March 2022”."))
    submit = SubmitField(_l("Promote from the reserve list"))


class ConfirmForm(ProductForm):
    """A button that posts (CSRF-protected) and nothing else."""

    submit = SubmitField(_l("Confirm"))
