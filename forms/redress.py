"""The coordinator's request for an evaluation review (redress)."""

from __future__ import annotations

from wtforms import HiddenField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.enums import REDRESS_GROUNDS, LetterKind
from app.models.limits import MAX_REDRESS_GROUNDS, MIN_REDRESS_GROUNDS
from app.translation import lazy_gettext as _l
from forms.wording import ProductForm


class RedressRequestForm(ProductForm):
    ground = SelectField(_l("What went wrong"), validators=[DataRequired()])
    grounds_text = TextAreaField(
        _l("Your grounds"), validators=[DataRequired(), Length(min=MIN_REDRESS_GROUNDS, max=MAX_REDRESS_GROUNDS)],
        description=_l("Name the step of the procedure that failed or the fact that is wrong, and how it could "
                       "change the decision. The experts' judgement of your proposal's merits is not reviewed."))
    submit = SubmitField(_l("Request the review"))

    def offer_grounds_of(self, stage: LetterKind) -> None:
        """Only the grounds the letter's decision admits (app.enums.REDRESS_GROUNDS)."""
        self.ground.choices = [SelectChoice(g.value, _l(g.label)) for g in REDRESS_GROUNDS[stage]]


class RedressDecisionForm(ProductForm):
    """The review committee's decision: one assessment, and the outcome is the button pressed."""

    assessment = TextAreaField(
        _l("The committee's assessment"), validators=[DataRequired(), Length(min=MIN_REDRESS_GROUNDS,
                                                                         max=MAX_REDRESS_GROUNDS)],
        description=_l("Answer each ground the coordinator raised: what the record shows and why it could, or could "
                       "not, change the decision. It is kept with the request and printed in the reply letter; a blank "
                       "line starts a new paragraph."))
    submit = SubmitField(_l("Reject: the decision stands, issue the reply letter"))
    uphold = SubmitField(_l("Uphold: have the proposal re-evaluated by new evaluators"))


class ReevaluationPanelForm(ProductForm):
    """The officer assigns the re-evaluation's evaluators (the assignment service chooses them)."""

    submit = SubmitField(_l("Assign the new evaluators"))


class ReevaluationRerunForm(ProductForm):
    """The officer re-runs the ranking and selection with the re-evaluation's consensus (a new recorded run)."""

    submit = SubmitField(_l("Re-run the ranking and selection"))


class RedressOutcomeForm(ProductForm):
    """The officer confirms the outcome the re-evaluation leads to (the token of the outcome shown) and closes the
    request with its reply letter."""

    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Confirm the outcome and issue the reply letter"))
