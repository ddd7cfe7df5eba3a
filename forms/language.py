"""The language switcher shown on every page."""

from __future__ import annotations

from wtforms import HiddenField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired

from app.languages import LANGUAGE_NAMES
from app.translation import lazy_gettext as _l
from forms.wording import ProductForm


class LanguageChoiceForm(ProductForm):
    # Each language under its own name: the reader of the other language finds theirs.
    language = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
                           validators=[DataRequired()])
    next = HiddenField()
    submit = SubmitField(_l("Change language"))
