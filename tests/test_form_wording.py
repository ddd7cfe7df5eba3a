"""The product's own words on every form (forms/wording.py): no WTForms default message reaches a page, and the
administrator can create the demo's `@eurogrants.test` accounts on purpose."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
import wtforms
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import Form

import forms
from forms.auth import UserCreateForm
from forms.evaluation import ReasonForm
from forms.organisation import InvitationForm
from forms.personal_data import EmailChangeForm
from forms.wording import WORDING, EmailAddress, ProductForm, ProductSubform

# Raised as TypeError/ValueError for programming mistakes, never shown to a person.
NOT_FOR_PEOPLE = {"Choices cannot be None.", "Invalid field name '%s'."}
_STRING = r'((?:"[^"]*"\s*)+)'


def _wtforms_messages() -> set[str]:
    """Every message WTForms passes through its translations (gettext, and both forms of ngettext)."""
    found: set[str] = set()
    for path in Path(wtforms.__file__).parent.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for call in re.finditer(rf"gettext\(\s*{_STRING}(?:,\s*{_STRING})?", source):
            for group in call.groups():
                if group:
                    found.add("".join(re.findall(r'"([^"]*)"', group)))
    return found - NOT_FOR_PEOPLE


def test_every_wtforms_message_has_the_products_wording() -> None:
    messages = _wtforms_messages()
    assert "Invalid email address." in messages  # the scan finds what it looks for
    assert sorted(messages - WORDING.keys()) == []


def test_every_form_speaks_with_the_products_words() -> None:
    classes = []
    for module in pkgutil.iter_modules(forms.__path__):
        loaded = importlib.import_module(f"forms.{module.name}")
        classes += [value for value in vars(loaded).values()
                    if inspect.isclass(value) and issubclass(value, Form) and value.__module__ == loaded.__name__
                    and value not in (ProductForm, ProductSubform)]
    assert len(classes) > 20
    assert [c.__name__ for c in classes if not issubclass(c, (ProductForm, ProductSubform))] == []


def _errors(app: Flask, form_class: type[Form], data: dict[str, str]) -> dict[str, list[str]]:
    with app.test_request_context(method="POST", data=data):
        form = form_class(formdata=MultiDict(data))
        form.validate()
        return {name: list(errors) for name, errors in form.errors.items()}


def test_a_mistyped_address_and_a_short_reason_are_told_in_our_words(app: Flask) -> None:
    errors = _errors(app, EmailChangeForm, {"email-new_email": "alice@", "email-password": ""})
    assert errors["new_email"] == ["Give a valid e-mail address, like name@example.org."]
    assert errors["password"] == ["Fill in this field."]
    errors = _errors(app, InvitationForm, {"email": "not an address"})
    assert errors["email"] == ["Give a valid e-mail address, like name@example.org."]
    errors = _errors(app, ReasonForm, {"reason": "x"})
    (message,) = errors["reason"]
    assert re.fullmatch(r"Write between \d+ and \d+ characters\.", message), message


@pytest.mark.parametrize(("address", "accepted"), [
    ("evaluator9@eurogrants.test", True),
    ("someone@example.org", True),
    ("evaluator9@eurogrants", False),
    ("evaluator9@", False),
])
def test_the_administrator_may_create_accounts_on_the_demos_test_domain(app: Flask, address: str,
                                                                        accepted: bool) -> None:
    passphrase = "a-long-enough-passphrase"
    errors = _errors(app, UserCreateForm, {"email": address, "full_name": "Nine", "roles": "evaluator",
                                           "password": passphrase, "confirm": passphrase})
    assert ("email" not in errors) is accepted, errors


def test_the_test_domain_is_refused_everywhere_else(app: Flask) -> None:
    assert EmailAddress().allow_test_domain is False
    errors = _errors(app, EmailChangeForm, {"email-new_email": "me@eurogrants.test", "email-password": "x"})
    assert errors["new_email"] == ["Give a valid e-mail address, like name@example.org."]
