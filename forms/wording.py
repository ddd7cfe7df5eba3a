"""The product's own words for the checks WTForms makes, in one place: every form here derives from `ProductForm`
(or `ProductSubform` for the rows of a list), whose translations replace the library's default messages
("Invalid email address.", "Field must be between 20 and 4000 characters long.") with ours. A validator given its
own message keeps it. tests/test_form_wording.py fails when a WTForms message has no wording here.
"""

from __future__ import annotations

from typing import Any

import email_validator
from flask_babel.speaklater import LazyString  # type: ignore[import-untyped]  # Flask-Babel ships no types
from flask_wtf import FlaskForm
from wtforms import Field, Form
from wtforms.validators import DataRequired, StopValidation, ValidationError

from app.languages import N_
from app.translation import gettext

# WTForms' message -> ours. Placeholders stay WTForms' (%(min)d …): the library fills them in after translating.
WORDING: dict[str, str] = {
    "This field is required.": N_("Fill in this field."),
    "Invalid email address.": N_("Give a valid e-mail address, like name@example.org."),
    "Field must be at least %(min)d character long.": N_("Write at least %(min)d character."),
    "Field must be at least %(min)d characters long.": N_("Write at least %(min)d characters."),
    "Field cannot be longer than %(max)d character.": N_("Write at most %(max)d character."),
    "Field cannot be longer than %(max)d characters.": N_("Write at most %(max)d characters."),
    "Field must be exactly %(max)d character long.": N_("Write exactly %(max)d character."),
    "Field must be exactly %(max)d characters long.": N_("Write exactly %(max)d characters."),
    "Field must be between %(min)d and %(max)d characters long.": N_("Write between %(min)d and %(max)d characters."),
    "Field must be equal to %(other_name)s.": N_("This must be the same as %(other_name)s."),
    "Number must be at least %(min)s.": N_("Give a number of at least %(min)s."),
    "Number must be at most %(max)s.": N_("Give a number of at most %(max)s."),
    "Number must be between %(min)s and %(max)s.": N_("Give a number from %(min)s to %(max)s."),
    "Not a valid integer value.": N_("Give a whole number, in figures."),
    "Not a valid decimal value.": N_("Give a number, in figures."),
    "Not a valid float value.": N_("Give a number, in figures."),
    "Not a valid date value.": N_("Give a date: day, month and year."),
    "Not a valid datetime value.": N_("Give a date and a time."),
    "Not a valid time value.": N_("Give a time: hours and minutes."),
    "Not a valid week value.": N_("Give a week: year and week number."),
    "Date must be at least %(min)s.": N_("Give a date on or after %(min)s."),
    "Date must be at most %(max)s.": N_("Give a date on or before %(max)s."),
    "Date must be between %(min)s and %(max)s.": N_("Give a date from %(min)s to %(max)s."),
    "Not a valid choice.": N_("Choose one of the options shown."),
    "Invalid Choice: could not coerce.": N_("Choose one of the options shown."),
    "'%(value)s' is not a valid choice for this field.": N_("'%(value)s' is not one of the options: choose one shown."),
    "'%(value)s' are not valid choices for this field.":
        N_("'%(value)s' are not among the options: choose ones shown."),
    "Invalid choice(s): one or more data inputs could not be coerced.": N_("Choose only among the options shown."),
    "Invalid value, must be one of: %(values)s.": N_("Choose one of: %(values)s."),
    "Invalid value, can't be any of: %(values)s.": N_("This value is not allowed (not %(values)s)."),
    "Invalid input.": N_("Check what you typed here: it is not in the expected form."),
    "Invalid URL.": N_("Give a web address, like https://example.org."),
    "Invalid UUID.": N_("Give a valid identifier."),
    "Invalid IP address.": N_("Give a valid IP address."),
    "Invalid Mac address.": N_("Give a valid MAC address."),
    "This field cannot be edited.": N_("This field cannot be changed here."),
    "This field is disabled and cannot have a value.": N_("This field cannot be changed here."),
    "Invalid CSRF Token.": N_("This form has expired: reload the page and send it again."),
    "CSRF failed.": N_("This form has expired: reload the page and send it again."),
    "CSRF token missing.": N_("This form has expired: reload the page and send it again."),
    "CSRF token expired.": N_("This form has expired: reload the page and send it again."),
}


class ProductTranslations:
    """WTForms' translations interface (gettext/ngettext), answering with WORDING in the reader's language."""

    def gettext(self, string: str) -> str:
        return gettext(WORDING.get(string, string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # WTForms' pairs are English ones chosen by n; French and German choose the same way for the counts a form
        # checks (n >= 1), so the chosen form's own translation is the right one.
        chosen = singular if n == 1 else plural
        return gettext(WORDING.get(chosen, chosen))


PRODUCT_TRANSLATIONS = ProductTranslations()


class Required(DataRequired):
    """DataRequired with its own message given lazily (`_l`, read in each reader's language): the message reaches the
    field's errors as a string, which is what the forms macros show (WTForms passes DataRequired's message on as it
    is, and a lazy string is not one)."""

    def __call__(self, form: Any, field: Field) -> None:
        try:
            super().__call__(form, field)
        except StopValidation as stop:
            raise StopValidation(str(stop.args[0]) if stop.args and stop.args[0] else None) from None


class ProductForm(FlaskForm):
    """A Flask-WTF form (CSRF) that speaks with the product's words."""

    class Meta:
        def get_translations(self, form: Any) -> ProductTranslations:
            return PRODUCT_TRANSLATIONS

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        # A validator given a lazily translated message (DataRequired(_l("…"))) raises it as it is: made a plain
        # string here, in the request's language, so that the page and the error summary show it like any other.
        for field in self:
            if any(isinstance(error, LazyString) for error in field.errors):
                field.errors = [str(error) if isinstance(error, LazyString) else error for error in field.errors]
        return valid


class ProductSubform(Form):
    """A form repeated inside another (a FieldList row), with the product's words and no CSRF of its own."""

    class Meta:
        def get_translations(self, form: Any) -> ProductTranslations:
            return PRODUCT_TRANSLATIONS


class EmailAddress:
    """An e-mail address as WTForms' Email() checks it, with our message; `allow_test_domain` also accepts the
    reserved `.test` domain (RFC 2606): administrators create the demo's and the tests' staff accounts
    (`…@eurogrants.test`) from the Accounts page, so that form accepts them on purpose. Nowhere else does."""

    def __init__(self, *, allow_test_domain: bool = False) -> None:
        self.allow_test_domain = allow_test_domain

    def __call__(self, form: Any, field: Field) -> None:
        try:
            email_validator.validate_email(str(field.data or ""), check_deliverability=False,
                                           test_environment=self.allow_test_domain)
        except email_validator.EmailNotValidError as error:
            raise ValidationError(gettext(WORDING["Invalid email address."])) from error
