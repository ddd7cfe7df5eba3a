"""Forms of an account's security: its sessions, a password change, a password reset by e-mailed link, and the
administrators' forms that change an account's roles and state."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectChoice, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.enums import Role
from app.models.limits import MIN_PASSWORD_LENGTH
from app.translation import lazy_gettext as _l
from forms.wording import ProductForm, Required


class EndSessionForm(ProductForm):
    """A button that ends a session (the CSRF token is its only field)."""

    submit = SubmitField(_l("End"))


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition, under the same rules as registration's (then the service's strength check)."""
    return (
        PasswordField(_l("New password"), validators=[
            DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000,
                                   message=_l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))],
            description=_l("At least %(count)d characters, not a common one.", count=MIN_PASSWORD_LENGTH)),
        PasswordField(_l("Repeat the new password"),
                      validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]),
    )


class PasswordChangeForm(ProductForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1000)],
                                     description=_l("Asked again, so that nobody at an open browser changes it."))
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Change my password"))


class PasswordResetRequestForm(ProductForm):
    # Like the log-in form, no check of the address's shape: any account's address must be accepted as typed.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)],
                       description=_l("The address you log in with; we e-mail it a link to choose a new password."))
    submit = SubmitField(_l("E-mail me a link"))


class PasswordResetForm(ProductForm):
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Set my new password"))


class AccountRolesForm(ProductForm):
    roles = SelectMultipleField(
        _l("Roles"), choices=[SelectChoice(r.value, _l(r.label)) for r in Role],
        validators=[Required(_l("Choose at least one role."))],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description=_l("An applicant's roles come with their organisation; staff roles open the management pages."))
    submit = SubmitField(_l("Save the roles"))


class AccountStateForm(ProductForm):
    """Deactivate or reactivate an account (the CSRF token is its only field)."""

    submit = SubmitField(_l("Apply"))
