"""Jinja filters and globals: the app's formatting (app/formatting.py) under short names, the clock, and the
helpers of the forms macros (templates/macros/forms.html): a field's ARIA attributes and the page's error summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context
from wtforms import Field, FieldList, FormField
from wtforms.form import BaseForm

from app.clock import utcnow
from app.countries import country_name
from app.enums import Role
from app.formatting import (
    describe_user_agent,
    format_amount,
    format_day,
    format_duration,
    format_local,
    format_money,
    format_percent,
    format_score,
    human_size,
)
from app.languages import LANGUAGE_NAMES
from app.translation import current_language, gettext
from app.web.script_messages import script_messages


@dataclass(frozen=True)
class SummaryEntry:
    """One line of the error summary: what is wrong, and the id of the field it links to (if any)."""

    text: str
    target: str | None


def field_attrs(field: Field, *, hint: Any = None, invalid: bool = False,
                extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The attributes that tie a field to its description, hint and messages (ids made by the forms macros)."""
    attrs = dict(extra or {})
    described = [f"{field.id}-description"] if field.description else []
    if hint:
        described.append(f"{field.id}-hint")
    if invalid:
        described.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


def _label(field: Field) -> str:
    return str(field.label.text) if field.label is not None else field.name


def error_entries(form: BaseForm) -> list[SummaryEntry]:
    """Every error of a form, its sub-forms and lists included, labelled so that it reads alone in a list."""

    def walk(fields: Any, prefix: str) -> Iterator[SummaryEntry]:
        for field in fields:
            if isinstance(field, FieldList):
                for error in field.errors:
                    if isinstance(error, str):
                        first = field.entries[0].id if field.entries else None
                        yield SummaryEntry(f"{prefix}{_label(field)}: {error}", first)
                for index, entry in enumerate(field.entries):
                    entry_label = _entry_label(form, field, index)
                    if isinstance(entry, FormField):
                        yield from walk(entry.form, f"{prefix}{entry_label} · ")
                    else:
                        for error in entry.errors:
                            if isinstance(error, str):
                                yield SummaryEntry(f"{prefix}{entry_label}: {error}", entry.id)
            elif isinstance(field, FormField):
                yield from walk(field.form, f"{prefix}{_label(field)} · ")
            elif field.type not in ("HiddenField", "CSRFTokenField") or field.errors:
                for error in field.errors:
                    if isinstance(error, str):
                        target = None if field.type in ("HiddenField", "CSRFTokenField") else field.id
                        yield SummaryEntry(f"{prefix}{_label(field)}: {error}", target)

    entries = list(walk(form, ""))
    entries += [SummaryEntry(str(error), None) for error in getattr(form, "form_errors", [])]
    return entries


def _entry_label(form: BaseForm, field: FieldList, index: int) -> str:
    """How the page names one entry of a list of fields ("Partner 3"); forms may say (`entry_label`)."""
    named = getattr(form, "entry_label", None)
    if callable(named):
        label = named(field.name, index)
        if label:
            return str(label)
    return f"{_label(field)} {index + 1}"


@pass_context
def failing_forms(context: Context) -> list[SummaryEntry]:
    """The error summary of the page: the errors of every form the view passed to the template."""
    entries: list[SummaryEntry] = []
    seen: set[int] = set()
    for value in context.get_all().values():
        if isinstance(value, BaseForm) and id(value) not in seen:
            seen.add(id(value))
            entries += error_entries(value)
    return entries


def _in_language(formatter: Callable[..., str]) -> Callable[..., str]:
    """`formatter` in the language being spoken: the request's, or a letter's or e-mail's recipient's."""

    @wraps(formatter)
    def formatted(*args: Any, **kwargs: Any) -> str:
        return formatter(*args, locale=current_language(), **kwargs)

    return formatted


def _browser(user_agent: str) -> str:
    """The `browser` filter: "Firefox on Windows" in the language being spoken."""
    return describe_user_agent(user_agent, on=gettext("%(browser)s on %(system)s"),
                               unknown=gettext("Unknown browser"))


def _own_text(row: Any, field: str) -> str:
    """The `own_text` filter: a call's or a criterion's own text (`call|own_text("title")`) in the language being
    spoken, the English when none was given in it (`Call.text`, `Criterion.text`)."""
    return str(row.text(field, current_language()))


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=_in_language(format_money), amount=_in_language(format_amount), score=_in_language(format_score),
        local=_in_language(format_local), day=_in_language(format_day), duration=_in_language(format_duration),
        percent=_in_language(format_percent), filesize=_in_language(human_size),
        country=_in_language(country_name), browser=_browser, own_text=_own_text,
    )
    app.jinja_env.globals.update(Role=Role, utcnow=utcnow, field_attrs=field_attrs, failing_forms=failing_forms,
                                 current_language=current_language, language_names=LANGUAGE_NAMES,
                                 script_messages=script_messages)
