"""Log-in, registration and staff-account forms."""

from __future__ import annotations

from wtforms import (
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.form import BaseForm
from wtforms.validators import DataRequired, EqualTo, Length, StopValidation

from app.countries import country_choices
from app.enums import OrganisationType, Role
from app.models.limits import MIN_PASSWORD_LENGTH
from app.translation import current_language
from app.translation import gettext as _
from app.translation import lazy_gettext as _l
from forms.wording import EmailAddress, ProductForm, Required

ORGANISATION_TYPE_CHOICES = [SelectChoice(t.value, _l(t.label)) for t in OrganisationType]


def country_select_choices(blank: str) -> list[SelectChoice]:
    """The countries under their names in the reader's language, after `blank` (the empty choice's words)."""
    return [SelectChoice("", blank)] + [
        SelectChoice(code, label) for code, label in country_choices(locale=current_language())]


class LoginForm(ProductForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Log in"))


class _PasswordFields:
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000,
                                       message=_l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))],
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


class _RequiredWithoutInvitation(DataRequired):
    """Required unless the form carries an invitation (the account then joins the inviting organisation)."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        if form["invitation"].data:
            raise StopValidation()
        super().__call__(form, field)


class RegistrationForm(_PasswordFields, ProductForm):
    invitation = HiddenField(validators=[Length(max=200)])
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), EmailAddress(), Length(max=254)])
    organisation_name = StringField(
        _l("Organisation"), validators=[_RequiredWithoutInvitation(), Length(max=200)],
        description=_l("The legal name of the organisation you apply for. If it is registered already, your account "
                       "asks its members to let you in."),
    )
    # Defaults, so that a registration by invitation (which shows no organisation fields) validates.
    country = SelectField(_l("Country of the organisation"), choices=[], default="",
                          validators=[_RequiredWithoutInvitation()])
    organisation_type = SelectField(_l("Type of organisation"), choices=ORGANISATION_TYPE_CHOICES,
                                    default=OrganisationType.CLUSTER.value, validators=[_RequiredWithoutInvitation()])
    submit = SubmitField(_l("Create my account"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices(_("Choose a country"))


class ConfirmRegistrationForm(ProductForm):
    """The confirmation link's form: the password chosen at registration proves it is the registrant who follows it."""

    password = PasswordField(_l("The password you chose when registering"),
                             validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Confirm and log in"))


class UserCreateForm(_PasswordFields, ProductForm):
    full_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), EmailAddress(allow_test_domain=True),
                                                 Length(max=254)])
    roles = SelectMultipleField(
        _l("Roles"), choices=[SelectChoice(r.value, _l(r.label)) for r in (Role.EVALUATOR, Role.OFFICER, Role.ADMIN)],
        validators=[Required(_l("Choose at least one role."))],
    )
    organisation_name = StringField(_l("Organisation (optional)"), validators=[Length(max=200)],
                                    description=_l("Evaluators' organisations are used to detect conflicts."))
    country = SelectField(_l("Country"), choices=[])
    organisation_type = SelectField(_l("Type of organisation"), choices=ORGANISATION_TYPE_CHOICES,
                                    default=OrganisationType.OTHER.value)
    submit = SubmitField(_l("Create account"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices("-")
