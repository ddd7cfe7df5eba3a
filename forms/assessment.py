"""The officer's assessment of one proposal in a call for expression of interest: suitable or not, the fit with
the call's aims, and the reasons (the service checks the rules; the form only types what was written)."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.models.limits import MAX_ASSESSMENT_NOTE, MAX_FIT, MIN_ASSESSMENT_NOTE, MIN_FIT
from forms.wording import ProductForm

FIT_LABELS = {1: "1 · weak", 2: "2 · partial", 3: "3 · good", 4: "4 · very good", 5: "5 · excellent"}


class AssessmentForm(ProductForm):
    verdict = RadioField("Verdict", choices=[SelectChoice("suitable", "Suitable for the mission"),
                                             SelectChoice("not_suitable", "Not suitable")],
                         validators=[DataRequired("Choose suitable or not suitable.")])
    fit = SelectField("Fit with the call's aims", coerce=int, default=3,
                      choices=[SelectChoice(value, FIT_LABELS[value]) for value in range(MAX_FIT, MIN_FIT - 1, -1)],
                      description="Orders the suitable proposals: the places go to the best fit first.")
    note = TextAreaField("Reasons", validators=[
        DataRequired("Give the reasons of the assessment."),
        Length(min=MIN_ASSESSMENT_NOTE, max=MAX_ASSESSMENT_NOTE,
               message=f"Write {MIN_ASSESSMENT_NOTE} to {MAX_ASSESSMENT_NOTE} characters.")],
                         description="A short reasoned note, kept in the audit trail.")
    submit = SubmitField("Record the assessment")
