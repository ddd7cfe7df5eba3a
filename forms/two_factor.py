"""Two-factor sign-in forms: the code after the password, enrolment, recovery codes, turning it off."""

from __future__ import annotations

from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.translation import lazy_gettext as _l
from forms.wording import ProductForm

_CODE_HINT = "The 6-digit code your authenticator app shows now."


def _code_field(label: str = "Code", description: str = _CODE_HINT, *, focus: bool = False,
                required: str = "Enter the code.") -> StringField:
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
    submit = SubmitField("Set up two-factor sign-in")


class EnrolmentConfirmForm(ProductForm):
    code = _code_field(description="After adding Eurogrants to your app, enter the 6-digit code it shows.",
                       focus=True)
    submit = SubmitField("Turn on two-factor sign-in")


class RecoveryCodesForm(ProductForm):
    code = _code_field()
    submit = SubmitField("Make new recovery codes")


class TwoFactorDisableForm(ProductForm):
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=1000)])
    code = _code_field(description="The 6-digit code your authenticator app shows now, or a recovery code.")
    submit = SubmitField("Turn off two-factor sign-in")
