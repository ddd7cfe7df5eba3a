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
from app.translation import current_language, gettext, ngettext
from app.translation import lazy_gettext as _l
from forms.auth import country_select_choices
from forms.wording import ProductForm

GENDER_CHOICES = [SelectChoice("", _l("No answer")), *(SelectChoice(g.value, _l(g.label)) for g in Gender)]


class CodeOfConductForm(ProductForm):
    # The version of the text on the page: accepting an older one is refused (app/services/consents.py).
    text_version = HiddenField(default=lambda: current_text(ConsentKind.CODE_OF_CONDUCT).version)
    accept = BooleanField(_l("I have read the code of conduct and accept it for this call."),
                          validators=[DataRequired(_l("Tick the box to accept the code of conduct."))])
    submit = SubmitField(_l("Accept and continue"))


class EvaluatorProfileForm(ProductForm):
    nationality = SelectField(_l("Nationality"), choices=[], validators=[DataRequired(_l("Choose your nationality."))],
                              description=_l("A call may allow at most one evaluator of each nationality per "
                                             "proposal, or none of the applicants' countries."))
    gender = SelectField(_l("Gender (optional)"), choices=GENDER_CHOICES, validators=[Optional()],
                         description=_l("Only if you wish: it is used to balance the panel, shown to the call's "
                                        "officers, and you may change or remove it at any time."))
    expertise_keywords = TextAreaField(_l("Expertise keywords"), render_kw={"rows": 3},
                                       description=_l("One per line or separated by commas, e.g. battery "
                                                      "recycling, lithium chemistry. Proposals are matched on them."))
    expertise_statement = TextAreaField(_l("Expertise statement"), render_kw={"rows": 6},
                                        validators=[Optional(), Length(max=MAX_EXPERTISE_STATEMENT)],
                                        description=_l("A few sentences on what you know well."))
    submit = SubmitField(_l("Save my profile"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nationality.choices = country_select_choices(gettext("Choose…"))

    def keywords(self) -> list[str]:
        """The keywords typed, one per line or comma-separated."""
        text = (self.expertise_keywords.data or "").replace("\n", ",")
        return [part for part in text.split(",") if part.strip()]


class DeclineInvitationForm(ProductForm):
    reason = TextAreaField(_l("Why you decline (optional)"), validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])
    submit = SubmitField(_l("Decline the invitation"))


class ConflictDeclarationForm(ProductForm):
    declaration = RadioField(
        _l("Do you have a conflict of interest with this proposal?"),
        choices=[SelectChoice("no_conflict", _l("No: I have no conflict of interest with this proposal.")),
                 SelectChoice("conflict", _l("Yes: I have a conflict of interest (the proposal will be taken away "
                                             "from you)."))],
        validators=[DataRequired(_l("Choose one answer."))],
    )
    note = TextAreaField(_l("If yes, what is the conflict?"), validators=[Optional(), Length(max=MAX_NOTE_LENGTH)],
                         description=_l("Seen by the programme officer only."))
    submit = SubmitField(_l("Confirm my declaration"))


def score_choices(maximum: Decimal) -> list[SelectChoice]:
    """'—' then 0, 0.5, 1 … up to the criterion's maximum: the values as the code writes them, the labels as the
    reader's language does (0,5)."""
    steps = int(maximum / SCORE_STEP)
    values = [i * SCORE_STEP for i in range(steps + 1)]
    locale = current_language()
    return [SelectChoice("", "—")] + [SelectChoice(format_score(v), format_score(v, locale=locale)) for v in values]


class ScoresForm(ProductForm):
    """Fields `score_<key>` and `comment_<key>` per criterion are added by `scores_form`."""

    overall_comment = TextAreaField(_l("Overall comment"), validators=[Length(max=MAX_COMMENT_LENGTH)],
                                    render_kw={"data-min-length": MIN_COMMENT_LENGTH, "rows": 5})
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit"))

    criterion_keys: list[str] = []

    def scores(self) -> dict[str, ScoreInput]:
        return {key: ScoreInput(self[f"score_{key}"].data, self[f"comment_{key}"].data or "")
                for key in self.criterion_keys}

    def criterion_fields(self) -> list[tuple[str, Any, Any]]:
        return [(key, self[f"score_{key}"], self[f"comment_{key}"]) for key in self.criterion_keys]


class IndividualReportForm(ScoresForm):
    submit = SubmitField(_l("Submit and lock my report"))


class ConsensusForm(ScoresForm):
    submit = SubmitField(_l("Submit to the programme officer"))


F = TypeVar("F", bound=ScoresForm)


def scores_form(base: type[F], criteria: Iterable[Criterion], **kwargs: Any) -> F:
    """An instance of `base` with a score select and a comment box for each criterion."""
    criteria = list(criteria)

    class Form(base):  # type: ignore[valid-type,misc]  # a subclass made per request of the form it is given
        pass

    locale = current_language()  # the form is made for one request: its words are the reader's
    for criterion in criteria:
        setattr(Form, f"score_{criterion.key}", SelectField(
            gettext("%(criterion)s: score", criterion=criterion.name), choices=score_choices(criterion.max_score),
            validate_choice=False,
            description=gettext("0 to %(maximum)s, in steps of %(step)s.",
                                maximum=format_score(criterion.max_score, locale=locale),
                                step=format_score(SCORE_STEP, locale=locale))))
        setattr(Form, f"comment_{criterion.key}", TextAreaField(
            gettext("%(criterion)s: comment", criterion=criterion.name), validators=[Length(max=MAX_COMMENT_LENGTH)],
            render_kw={"data-min-length": MIN_COMMENT_LENGTH, "rows": 5},
            description=ngettext("At least %(num)d character to submit.", "At least %(num)d characters to submit.",
                                 MIN_COMMENT_LENGTH)))
    Form.criterion_keys = [c.key for c in criteria]
    return Form(**kwargs)
