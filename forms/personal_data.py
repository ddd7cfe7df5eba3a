"""Forms of personal data requests: the export, corrections, the e-mail change, erasure.

My personal data shows several forms on one page: each has its own prefix, so that no two fields share an id.
"""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.enums import OrganisationType
from app.translation import gettext
from app.translation import lazy_gettext as _l
from forms.auth import ORGANISATION_TYPE_CHOICES, country_select_choices
from forms.wording import EmailAddress, ProductForm, Required


class ExportForm(ProductForm):
    submit = SubmitField(_l("Download everything (ZIP)"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, prefix="export", **kwargs)


class OfficerExportForm(ProductForm):
    request_reference = StringField(
        _l("Request answered"), validators=[Required(_l("Give the reference of the request.")), Length(max=300)],
        description=_l("The letter's date or registration number: it goes into the audit trail and the access log."))
    submit = SubmitField(_l("Export their data (ZIP)"))


class NameForm(ProductForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(_l("Give your name.")), Length(max=200)])
    submit = SubmitField(_l("Correct my name"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, prefix="name", **kwargs)


class EmailChangeForm(ProductForm):
    new_email = EmailField(_l("New e-mail address"), validators=[DataRequired(), EmailAddress(), Length(max=254)],
                           description=_l("We send a link to it; your address changes when you open the link."))
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1000)],
                             description=_l("Asked again: whoever holds the address holds the account."))
    submit = SubmitField(_l("Send the confirmation link"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, prefix="email", **kwargs)


class OrganisationForm(ProductForm):
    organisation_name = StringField(_l("Organisation's legal name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), choices=[], validators=[DataRequired(_l("Choose a country."))])
    organisation_type = SelectField(_l("Type of organisation"), choices=ORGANISATION_TYPE_CHOICES,
                                    default=OrganisationType.OTHER.value)
    submit = SubmitField(_l("Correct the organisation's details"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, prefix="organisation", **kwargs)
        self.country.choices = country_select_choices(gettext("Choose a country"))


class ConfirmEmailForm(ProductForm):
    submit = SubmitField(_l("Use this address"))


class CancelForm(ProductForm):
    submit = SubmitField(_l("Cancel the change"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, prefix="cancel", **kwargs)


class ErasureForm(ProductForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1000)])
    confirm = BooleanField(_l("I understand: my account goes now and cannot be restored; what the law keeps longer is "
                           "kept under a pseudonym until the dates above."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Erase my account"))


class OfficerErasureForm(ProductForm):
    request_reference = StringField(
        _l("Request answered"), validators=[Required(_l("Give the reference of the request.")), Length(max=300)],
        description=_l("The letter's date or registration number: it goes into the erasure register."))
    confirm = BooleanField(_l("The person's identity was checked, and the assessment above was sent to them."),
                           validators=[Required(_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Erase on their behalf"))
