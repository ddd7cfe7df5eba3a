"""Membership forms: register an organisation, ask to join one, invite a colleague."""

from __future__ import annotations

from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.auth import ORGANISATION_TYPE_CHOICES, country_select_choices
from forms.wording import EmailAddress, ProductForm


class _OrganisationFields(ProductForm):
    organisation_name = StringField("Organisation", validators=[DataRequired(), Length(max=200)],
                                    description="Its legal name.")
    country = SelectField("Country of the organisation", choices=[], validators=[DataRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices("Choose a country")


class OrganisationCreateForm(_OrganisationFields):
    organisation_type = SelectField("Type of organisation", choices=ORGANISATION_TYPE_CHOICES,
                                    validators=[DataRequired()])
    submit = SubmitField("Register this organisation")


class JoinRequestForm(_OrganisationFields):
    message = TextAreaField("A word for its members (optional)", validators=[Optional(), Length(max=500)],
                            description="Who you are and what you work on, so that they recognise you.")
    submit = SubmitField("Ask to join")


class InvitationForm(ProductForm):
    email = EmailField("Colleague's e-mail address", validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       description="The link works once, for this address only, for 14 days.")
    submit = SubmitField("Invite")
