"""Evaluator forms: the code of conduct, the profile, the conflict declaration, the individual and the consensus
report."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.enums import ConsentKind, Gender
from app.formatting import format_score
from app.inputs import ScoreInput
from app.models import Criterion
from app.models.limits import (
    MAX_COMMENT_LENGTH,
    MAX_EXPERTISE_STATEMENT,
    MAX_NOTE_LENGTH,
    MIN_COMMENT_LENGTH,
    SCORE_STEP,
)
from app.privacy.texts import current_text
from forms.auth import country_select_choices
from forms.wording import ProductForm

GENDER_CHOICES = [SelectChoice("", "No answer"), *(SelectChoice(g.value, g.label) for g in Gender)]


class CodeOfConductForm(ProductForm):
    # The version of the text on the page: accepting an older one is refused (app/services/consents.py).
    text_version = HiddenField(default=lambda: current_text(ConsentKind.CODE_OF_CONDUCT).version)
    accept = BooleanField("I have read the code of conduct and accept it for this call.",
                          validators=[DataRequired("Tick the box to accept the code of conduct.")])
    submit = SubmitField("Accept and continue")


class EvaluatorProfileForm(ProductForm):
    nationality = SelectField("Nationality", choices=[], validators=[DataRequired("Choose your nationality.")],
                              description="A call may allow at most one evaluator of each nationality per proposal, "
                                          "or none of the applicants' countries.")
    gender = SelectField("Gender (optional)", choices=GENDER_CHOICES, validators=[Optional()],
                         description="Only if you wish: it is used to balance the panel, shown to the call's "
                                     "officers, and you may change or remove it at any time.")
    expertise_keywords = TextAreaField("Expertise keywords", render_kw={"rows": 3},
                                       description="One per line or separated by commas, e.g. battery recycling, "
                                                   "lithium chemistry. Proposals are matched on them.")
    expertise_statement = TextAreaField("Expertise statement", render_kw={"rows": 6},
                                        validators=[Optional(), Length(max=MAX_EXPERTISE_STATEMENT)],
                                        description="A few sentences on what you know well.")
    submit = SubmitField("Save my profile")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nationality.choices = country_select_choices("Choose…")

    def keywords(self) -> list[str]:
        """The keywords typed, one per line or comma-separated."""
        text = (self.expertise_keywords.data or "").replace("\n", ",")
        return [part for part in text.split(",") if part.strip()]


class DeclineInvitationForm(ProductForm):
    reason = TextAreaField("Why you decline (optional)", validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])
    submit = SubmitField("Decline the invitation")


class ConflictDeclarationForm(ProductForm):
    declaration = RadioField(
        "Do you have a conflict of interest with this proposal?",
        choices=[SelectChoice("no_conflict", "No: I have no conflict of interest with this proposal."),
                 SelectChoice("conflict", "Yes: I have a conflict of interest (the proposal will be taken away "
                                          "from you).")],
        validators=[DataRequired("Choose one answer.")],
    )
    note = TextAreaField("If yes, what is the conflict?", validators=[Optional(), Length(max=MAX_NOTE_LENGTH)],
                         description="Seen by the programme officer only.")
    submit = SubmitField("Confirm my declaration")


def score_choices(maximum: Decimal) -> list[SelectChoice]:
    """'—' then 0, 0.5, 1 … up to the criterion's maximum."""
    steps = int(maximum / SCORE_STEP)
    values = [i * SCORE_STEP for i in range(steps + 1)]
    return [SelectChoice("", "—")] + [SelectChoice(format_score(v), format_score(v)) for v in values]


class ScoresForm(ProductForm):
    """Fields `score_<key>` and `comment_<key>` per criterion are added by `scores_form`."""

    overall_comment = TextAreaField("Overall comment", validators=[Length(max=MAX_COMMENT_LENGTH)],
                                    render_kw={"data-min-length": MIN_COMMENT_LENGTH, "rows": 5})
    save = SubmitField("Save draft")
    submit = SubmitField("Submit")

    criterion_keys: list[str] = []

    def scores(self) -> dict[str, ScoreInput]:
        return {key: ScoreInput(self[f"score_{key}"].data, self[f"comment_{key}"].data or "")
                for key in self.criterion_keys}

    def criterion_fields(self) -> list[tuple[str, Any, Any]]:
        return [(key, self[f"score_{key}"], self[f"comment_{key}"]) for key in self.criterion_keys]


class IndividualReportForm(ScoresForm):
    submit = SubmitField("Submit and lock my report")


class ConsensusForm(ScoresForm):
    submit = SubmitField("Submit to the programme officer")


F = TypeVar("F", bound=ScoresForm)


def scores_form(base: type[F], criteria: Iterable[Criterion], **kwargs: Any) -> F:
    """An instance of `base` with a score select and a comment box for each criterion."""
    criteria = list(criteria)

    class Form(base):  # type: ignore[valid-type,misc]  # a subclass made per request of the form it is given
        pass

    for criterion in criteria:
        setattr(Form, f"score_{criterion.key}", SelectField(
            f"{criterion.name}: score", choices=score_choices(criterion.max_score), validate_choice=False,
            description=f"0 to {format_score(criterion.max_score)}, in steps of {format_score(SCORE_STEP)}."))
        setattr(Form, f"comment_{criterion.key}", TextAreaField(
            f"{criterion.name}: comment", validators=[Length(max=MAX_COMMENT_LENGTH)],
            render_kw={"data-min-length": MIN_COMMENT_LENGTH, "rows": 5},
            description=f"At least {MIN_COMMENT_LENGTH} characters to submit."))
    Form.criterion_keys = [c.key for c in criteria]
    return Form(**kwargs)
