"""Two-factor sign-in forms: the code after the password, enrolment, recovery codes, turning it off."""

from __future__ import annotations

from typing import Any

from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.translation import lazy_gettext as _l
from forms.wording import ProductForm

_CODE_HINT = _l("The 6-digit code your authenticator app shows now.")


def _code_field(label: Any = None, description: Any = _CODE_HINT, *, focus: bool = False,
                required: Any = None) -> StringField:
    label = label if label is not None else _l("Code")
    required = required if required is not None else _l("Enter the code.")
    attributes: dict[str, object] = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
    if focus:  # the one thing to type on its page
        attributes["autofocus"] = True
    return StringField(label, validators=[DataRequired(required), Length(max=20)], description=description,
                       render_kw=attributes)


class SecondFactorForm(ProductForm):
    code = _code_field(_l("Code"), description=_l("The 6-digit code your authenticator app shows now, or one of your "
                                                   "recovery codes (each works once)."), focus=True,
                       required=_l("Enter the code."))
    submit = SubmitField(_l("Verify"))


class EnrolmentStartForm(ProductForm):
    submit = SubmitField(_l("Set up two-factor sign-in"))


class EnrolmentConfirmForm(ProductForm):
    code = _code_field(description=_l("After adding Eurogrants to your app, enter the 6-digit code it shows."),
                       focus=True)
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class RecoveryCodesForm(ProductForm):
    code = _code_field()
    submit = SubmitField(_l("Make new recovery codes"))


class TwoFactorDisableForm(ProductForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=1000)])
    code = _code_field(description=_l("The 6-digit code your authenticator app shows now, or a recovery code."))
    submit = SubmitField(_l("Turn off two-factor sign-in"))
