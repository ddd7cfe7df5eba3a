"""Membership forms: register an organisation, ask to join one, invite a colleague."""

from __future__ import annotations

from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.translation import gettext
from app.translation import lazy_gettext as _l
from forms.auth import ORGANISATION_TYPE_CHOICES, country_select_choices
from forms.wording import EmailAddress, ProductForm


class _OrganisationFields(ProductForm):
    organisation_name = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)],
                                    description=_l("Its legal name."))
    country = SelectField(_l("Country of the organisation"), choices=[], validators=[DataRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices(gettext("Choose a country"))


class OrganisationCreateForm(_OrganisationFields):
    organisation_type = SelectField(_l("Type of organisation"), choices=ORGANISATION_TYPE_CHOICES,
                                    validators=[DataRequired()])
    submit = SubmitField(_l("Register this organisation"))


class JoinRequestForm(_OrganisationFields):
    message = TextAreaField(_l("A word for its members (optional)"), validators=[Optional(), Length(max=500)],
                            description=_l("Who you are and what you work on, so that they recognise you."))
    submit = SubmitField(_l("Ask to join"))


class InvitationForm(ProductForm):
    email = EmailField(_l("Colleague's e-mail address"),
                       validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       description=_l("The link works once, for this address only, for 14 days."))
    submit = SubmitField(_l("Invite"))
