"""A call's own texts in French and German (the officer's page of the call's settings): for each language its title
and description and each criterion's name and description. Empty means "use the English"."""

from __future__ import annotations

from wtforms import FieldList, FormField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from app.models.limits import MAX_CALL_DESCRIPTION, MAX_CALL_TITLE, MAX_CRITERION_DESCRIPTION, MAX_CRITERION_NAME
from app.translation import lazy_gettext as _l
from forms.wording import ProductForm, ProductSubform


class CriterionTextsForm(ProductSubform):
    key = HiddenField()
    name = StringField(_l("Name"), validators=[Length(max=MAX_CRITERION_NAME)])
    description = TextAreaField(_l("Description"), validators=[Length(max=MAX_CRITERION_DESCRIPTION)])


class LanguageTextsForm(ProductSubform):
    title = StringField(_l("Title"), validators=[Length(max=MAX_CALL_TITLE)])
    description = TextAreaField(_l("Description"), validators=[Length(max=MAX_CALL_DESCRIPTION)])
    criteria = FieldList(FormField(CriterionTextsForm))


class CallTextsForm(ProductForm):
    fr = FormField(LanguageTextsForm)
    de = FormField(LanguageTextsForm)
    submit = SubmitField(_l("Save the texts"))
