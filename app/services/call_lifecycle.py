"""A call's life cycle: draft → published → open → closed → in evaluation → decided → archived.

Only the two decisions are stored (`Call.published_at`, `Call.archived_at`); open and closed follow from the dates,
in evaluation from the assignments, decided from a finalised run (`app.queries.calls.call_phase`). What may change
in each phase is the one table `CHANGES` below, a rule of the service whatever the page or the API sends: every
settings change goes through `check_changes`, and its refusal is `refusal(phase, group)`. Eligibility rules may
still change while the call is open (the applicants' checklists follow them at once); they are fixed from the
close, when the screening applies them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from app.call_inputs import SECTIONS
from app.clock import utcnow
from app.enums import CallPhase
from app.extensions import db
from app.languages import N_
from app.models import Call, User
from app.queries.access import require_officer
from app.queries.calls import CallFacts, call_facts, call_phase
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition
from app.translation import gettext, pgettext

TO_MANAGE = "open, publish or archive calls"
MIN_REASON = 10


class Change(StrEnum):
    """Whether a group of settings may change in a phase."""

    ALLOWED = "allowed"
    BEFORE_SUBMISSION = "until the first proposal is submitted"
    WITH_REASON = "with a reason, audited"
    FIXED = "fixed"


# The settings a rule of the table covers together: the sections of the call's page, with the identity's kind and
# the dates, which change under rules of their own, each a group.
GROUPS: Final = {
    "identity": ("title", "programme", "description"),
    "kind": ("kind",),
    "opening": ("opens_at",),
    "deadline": ("deadline",),
    "time_zone": ("time_zone",),
    **{section: SECTIONS[section] for section in ("money", "eligibility", "strands", "evaluation", "scoring", "texts")},
}
GROUP_OF: Final = {name: group for group, names in GROUPS.items() for name in names}

_A, _S, _R, _F = Change.ALLOWED, Change.BEFORE_SUBMISSION, Change.WITH_REASON, Change.FIXED
_ORDER = tuple(GROUPS)
# identity kind opening deadline time_zone money eligibility strands evaluation scoring texts
_TABLE = {
    CallPhase.DRAFT: (_A, _A, _A, _A, _A, _A, _A, _A, _A, _A, _A),
    CallPhase.PUBLISHED: (_A, _F, _A, _R, _A, _A, _A, _A, _A, _A, _A),
    CallPhase.OPEN: (_A, _F, _F, _R, _F, _A, _A, _S, _A, _S, _A),
    CallPhase.CLOSED: (_A, _F, _F, _R, _F, _A, _F, _F, _A, _S, _A),
    CallPhase.IN_EVALUATION: (_A, _F, _F, _F, _F, _A, _F, _F, _A, _F, _A),
    CallPhase.DECIDED: (_F,) * len(_ORDER),
    CallPhase.ARCHIVED: (_F,) * len(_ORDER),
}
CHANGES: Final = {phase: dict(zip(_ORDER, row, strict=True)) for phase, row in _TABLE.items()}

# Why a group is fixed in a phase: the phase's own reason first, then the group's; each refusal a whole sentence
# (catalogue messages, said in the language of the request that asked: app.translation).
_PHASE_WHY = {
    CallPhase.DECIDED: N_("The call's %(group)s cannot change now that it is decided: a decided call is read-only."),
    CallPhase.ARCHIVED: N_("The call's %(group)s cannot change now that it is archived: an archived call is "
                           "read-only."),
}
_GROUP_WHY = {
    "kind": N_("The call's kind cannot change now that it is %(phase)s: applicants were told what kind of call it is."),
    "opening": N_("The call's opening cannot change now that it is %(phase)s: the call has opened."),
    "deadline": N_("The call's deadline cannot change now that it is %(phase)s: the evaluation has started."),
    "time_zone": N_("The call's time zone cannot change now that it is %(phase)s: applicants were told its times in "
                    "this zone."),
    "eligibility": N_("The call's eligibility cannot change now that it is %(phase)s: proposals were submitted under "
                      "these rules and are screened under them."),
    "strands": N_("The call's strands cannot change now that it is %(phase)s: proposals were submitted under these "
                  "strands."),
    "scoring": N_("The call's scoring cannot change now that it is %(phase)s: criteria, weights and thresholds are "
                  "fixed once the first proposal is submitted."),
}
# How a refusal names a group of settings and a phase.
_GROUP_NAMES = {"identity": N_("identity"), "kind": N_("kind"), "opening": N_("opening"), "deadline": N_("deadline"),
                "time_zone": N_("time zone"), "money": N_("money"), "eligibility": N_("eligibility"),
                "strands": N_("strands"), "evaluation": N_("evaluation"), "scoring": N_("scoring"),
                "texts": N_("texts")}


def phase_name(phase: CallPhase) -> str:
    """The phase as a refusal names it, in the language being spoken ("in evaluation", « en évaluation »)."""
    return pgettext("call phase", phase.label)


def refusal(phase: CallPhase, group: str) -> str:
    """The documented refusal of a change to `group` in `phase`, in the language being spoken."""
    if phase in _PHASE_WHY:
        return gettext(_PHASE_WHY[phase], group=gettext(_GROUP_NAMES[group]))
    return gettext(_GROUP_WHY[group], phase=phase_name(phase))


def check_changes(call: Call, changed: list[str], *, reason: str) -> CallPhase:
    """Refuse (InvalidTransition, 409) the first changed setting the call's phase fixes, or (InvalidInput) a deadline
    moved without a reason where one is needed; returns the phase."""
    facts = call_facts(call)
    phase = call_phase(call, facts=facts)
    for name in changed:
        group = GROUP_OF[name]
        rule = CHANGES[phase][group]
        if rule is Change.FIXED or (rule is Change.BEFORE_SUBMISSION and facts.has_submission):
            raise InvalidTransition(refusal(phase, group), details={"field": name, "phase": phase.value})
        if rule is Change.WITH_REASON and len(" ".join(reason.split())) < MIN_REASON:
            raise InvalidInput(gettext("Say why the %(group)s moves (at least %(count)d characters): the reason is "
                                       "audited with the change.", group=gettext(_GROUP_NAMES[group]),
                                       count=MIN_REASON), details={"field": "reason"})
    return phase


def publish_call(call: Call, *, actor: User | None) -> None:
    """Publish a draft: its public page appears and it opens at its opening. Side effects: the call, audit."""
    require_officer(actor, to=TO_MANAGE)
    if call.published_at is not None:
        raise InvalidTransition(N_("This call is already published."))
    call.published_at = utcnow()
    db.session.flush()
    record_event(actor, "call.published", object_type="call", object_id=call.code,
                 changes={"phase": {"from": CallPhase.DRAFT.value, "to": call_phase(call).value}})


def can_archive(phase: CallPhase, facts: CallFacts) -> bool:
    """A decided call, or a closed one nobody submitted to, may be archived."""
    return phase is CallPhase.DECIDED or (phase is CallPhase.CLOSED and not facts.has_submission)


def archive_call(call: Call, *, actor: User | None) -> None:
    """Archive a decided call (or a closed one without proposals): read-only from now on. Side effects: audit."""
    require_officer(actor, to=TO_MANAGE)
    facts = call_facts(call)
    phase = call_phase(call, facts=facts)
    if not can_archive(phase, facts):
        raise InvalidTransition(gettext("The call is %(phase)s: only a decided call, or a closed one nobody "
                                        "submitted to, can be archived.", phase=phase_name(phase)),
                                details={"phase": phase.value})
    call.archived_at = utcnow()
    db.session.flush()
    record_event(actor, "call.archived", object_type="call", object_id=call.code,
                 changes={"phase": {"from": phase.value, "to": CallPhase.ARCHIVED.value}})
