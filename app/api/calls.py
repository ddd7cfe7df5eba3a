"""Officers open, copy, change, publish and archive calls over the API, with the same service, rules and errors as
the pages (`app.services.call_settings`, `app.services.call_lifecycle`)."""

from __future__ import annotations

from typing import Any

from app.api import bp
from app.api.schemas import CallSchema
from app.api.schemas_calls import CallChangeSchema, CallCreateSchema
from app.call_inputs import CallSettings
from app.models import Call
from app.queries.access import load_call
from app.services.call_lifecycle import archive_call, publish_call
from app.services.call_settings import create_call, update_call_settings
from app.web.access import current_actor, officer_required


@bp.post("/calls")
@officer_required
@bp.arguments(CallCreateSchema())
@bp.response(201, CallSchema)
@bp.alt_response(403, description="Not an officer")
@bp.alt_response(404, description="`copy_of` names no call")
@bp.alt_response(422, description="invalid_input: `details.fields` names each setting that breaks a rule (a "
                                  "threshold outside its scale, a tie-break key that is no criterion, a maximum grant "
                                  "above the budget, a deadline before the opening, an unknown time zone…)")
def create_call_operation(body: dict[str, Any]) -> Call:
    """Officers: open a call as a draft, from scratch or as a copy of `copy_of` (422 names each setting that breaks
    a rule, as the page does)."""
    source = load_call(body.pop("copy_of")) if body.get("copy_of") else None
    body.pop("copy_of", None)
    return create_call(CallSettings.parse(body), actor=current_actor(), copy_of=source)


@bp.patch("/calls/<code>")
@officer_required
@bp.arguments(CallChangeSchema())
@bp.response(200, CallSchema)
@bp.alt_response(403, description="Not an officer")
@bp.alt_response(422, description="invalid_input: `details.fields` names each setting that breaks a rule; "
                                  "`details.field` is `reason` when a published call's deadline moves without one")
@bp.alt_response(409, description="invalid_transition: the call's phase fixes this setting (the message says "
                                  "why); confirmation_required: the new deadline overtakes granted extensions "
                                  "(`details.extensions`); send again with `confirm` set to `details.token`")
def patch_call(body: dict[str, Any], code: str) -> Call:
    """Officers: change any setting of a call that its phase allows (audited with before and after, only when
    something changes; a published call's deadline moves only with a `reason`)."""
    call = load_call(code)
    confirm, reason = body.pop("confirm", None), body.pop("reason", "")
    update_call_settings(call, actor=current_actor(), settings=CallSettings.parse(body), confirm=confirm,
                         reason=reason)
    return call


@bp.post("/calls/<code>/publish")
@officer_required
@bp.response(200, CallSchema)
@bp.alt_response(403, description="Not an officer")
@bp.alt_response(409, description="invalid_transition: the call is not a draft")
def publish_call_operation(code: str) -> Call:
    """Officers: publish a draft: its public page appears, and it opens at its opening."""
    call = load_call(code)
    publish_call(call, actor=current_actor())
    return call


@bp.post("/calls/<code>/archive")
@officer_required
@bp.response(200, CallSchema)
@bp.alt_response(403, description="Not an officer")
@bp.alt_response(409, description="invalid_transition: the call is neither decided nor closed without proposals")
def archive_call_operation(code: str) -> Call:
    """Officers: archive a decided call (or a closed one nobody applied to): read-only from then on."""
    call = load_call(code)
    archive_call(call, actor=current_actor())
    return call
