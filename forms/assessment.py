"""The officer's assessment of one proposal in a call for expression of interest: suitable or not, the fit with
the call's aims, and the reasons (the service checks the rules; the form only types what was written)."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from app.models.limits import MAX_ASSESSMENT_NOTE, MAX_FIT, MIN_ASSESSMENT_NOTE, MIN_FIT
from app.translation import lazy_gettext as _l
from forms.wording import ProductForm, Required

FIT_LABELS = {1: _l("1 · weak"), 2: _l("2 · partial"), 3: _l("3 · good"), 4: _l("4 · very good"),
              5: _l("5 · excellent")}


class AssessmentForm(ProductForm):
    verdict = RadioField(_l("Verdict"), choices=[SelectChoice("suitable", _l("Suitable for the mission")),
                                                 SelectChoice("not_suitable", _l("Not suitable"))],
                         validators=[Required(_l("Choose suitable or not suitable."))])
    fit = SelectField(_l("Fit with the call's aims"), coerce=int, default=3,
                      choices=[SelectChoice(value, FIT_LABELS[value]) for value in range(MAX_FIT, MIN_FIT - 1, -1)],
                      description=_l("Orders the suitable proposals: the places go to the best fit first."))
    note = TextAreaField(_l("Reasons"), validators=[
        Required(_l("Give the reasons of the assessment.")),
        Length(min=MIN_ASSESSMENT_NOTE, max=MAX_ASSESSMENT_NOTE,
               message=_l("Write %(min)d to %(max)d characters.", min=MIN_ASSESSMENT_NOTE, max=MAX_ASSESSMENT_NOTE))],
                         description=_l("A short reasoned note, kept in the audit trail."))
    submit = SubmitField(_l("Record the assessment"))
