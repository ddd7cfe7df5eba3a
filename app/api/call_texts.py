"""Officers give a call's own texts in French and German over the API, with the same service, checks and audit as
the page (`app.services.call_texts`); English stays in the call's settings (`PATCH /calls/{code}`)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api import bp
from app.languages import OTHER_LANGUAGES
from app.models.limits import MAX_CALL_DESCRIPTION, MAX_CALL_TITLE, MAX_CRITERION_DESCRIPTION, MAX_CRITERION_NAME
from app.queries.access import load_call
from app.services.call_texts import LanguageTexts, given_texts, require_language, update_call_texts
from app.web.access import current_actor, officer_required

EMPTY_MEANS_ENGLISH = "Empty: the English is shown."


class CriterionTextsSchema(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=MAX_CRITERION_NAME),
                         metadata={"description": EMPTY_MEANS_ENGLISH})
    description = fields.String(load_default="", validate=validate.Length(max=MAX_CRITERION_DESCRIPTION),
                                metadata={"description": EMPTY_MEANS_ENGLISH})


class LanguageTextsSchema(Schema):
    """A call's texts in one language; a text left empty (or out) reads as the English."""

    title = fields.String(load_default="", validate=validate.Length(max=MAX_CALL_TITLE),
                         metadata={"description": EMPTY_MEANS_ENGLISH})
    description = fields.String(load_default="", validate=validate.Length(max=MAX_CALL_DESCRIPTION),
                                metadata={"description": EMPTY_MEANS_ENGLISH})
    criteria = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                           values=fields.Nested(CriterionTextsSchema), load_default=dict,
                           metadata={"description": "By criterion key; a criterion left out reads as the English."})


CallTextsSchema = Schema.from_dict({language: fields.Nested(LanguageTextsSchema) for language in OTHER_LANGUAGES},
                                   name="CallTextsSchema")


def _body(texts: LanguageTexts) -> dict[str, Any]:
    return {"title": texts.title, "description": texts.description,
            "criteria": {key: dict(values) for key, values in texts.criteria.items()}}


@bp.get("/calls/<code>/texts")
@officer_required
@bp.response(200, CallTextsSchema)
@bp.alt_response(403, description="Not an officer")
@bp.alt_response(404, description="No such call")
def call_texts_get(code: str) -> dict[str, Any]:
    """Officers: the call's own texts in each language other than English (empty where the English is shown),
    every criterion of the call listed by key."""
    call = load_call(code)
    return {language: _body(given_texts(call, language)) for language in OTHER_LANGUAGES}


@bp.put("/calls/<code>/texts/<language>")
@officer_required
@bp.arguments(LanguageTextsSchema)
@bp.response(200, LanguageTextsSchema)
@bp.alt_response(403, description="Not an officer")
@bp.alt_response(404, description="No such call, or not a language of the call's texts (fr, de)")
@bp.alt_response(409, description="invalid_transition: the call is decided or archived: its texts are fixed")
@bp.alt_response(422, description="invalid_input: `details.fields` names each text too long (`fr.title`, "
                                  "`de.criteria.<key>.name` …) or a criterion the call does not have")
def call_texts_put(body: dict[str, Any], code: str, language: str) -> dict[str, Any]:
    """Officers: replace the call's texts in one language (fr or de); what is left empty or out reads as the
    English. Audited with the texts before and after, when something changes."""
    call = load_call(code)
    require_language(language)
    given = LanguageTexts(title=body["title"], description=body["description"], criteria=body["criteria"])
    update_call_texts(call, {language: given}, actor=current_actor())
    return _body(given_texts(call, language))
