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

TO_MANAGE = N_("open, publish or archive calls")
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

# Why a group is fixed in a phase: the phase's own reason first (a read-only call), then the group's. Each is a
# catalogue message with the phase (`_phase_word`) or the group's name (`_group_word`) as its value.
_READ_ONLY = {
    CallPhase.DECIDED: N_("The call's %(group)s cannot change now that it is decided: a decided call is read-only."),
    CallPhase.ARCHIVED: N_("The call's %(group)s cannot change now that it is archived: an archived call is "
                           "read-only."),
}
_GROUP_FIXED = {
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


def _phase_word(phase: CallPhase) -> str:
    """The phase as said of a call ("it is closed"), in the language of the request that asked."""
    return {
        CallPhase.DRAFT: pgettext("call phase", "draft"), CallPhase.PUBLISHED: pgettext("call phase", "published"),
        CallPhase.OPEN: pgettext("call phase", "open"), CallPhase.CLOSED: pgettext("call phase", "closed"),
        CallPhase.IN_EVALUATION: pgettext("call phase", "in evaluation"),
        CallPhase.DECIDED: pgettext("call phase", "decided"), CallPhase.ARCHIVED: pgettext("call phase", "archived"),
    }[phase]


def _group_word(group: str) -> str:
    """A group of settings named in a sentence, in the language of the request that asked."""
    return {
        "identity": pgettext("call settings", "identity"), "kind": pgettext("call settings", "kind"),
        "opening": pgettext("call settings", "opening"), "deadline": pgettext("call settings", "deadline"),
        "time_zone": pgettext("call settings", "time zone"), "money": pgettext("call settings", "money"),
        "eligibility": pgettext("call settings", "eligibility"), "strands": pgettext("call settings", "strands"),
        "evaluation": pgettext("call settings", "evaluation"), "scoring": pgettext("call settings", "scoring"),
        "texts": pgettext("call settings", "texts"),
    }[group]


def refusal_error(phase: CallPhase, group: str, details: dict[str, str] | None = None) -> InvalidTransition:
    """The documented refusal of a change to `group` in `phase` (translated for its reader by the web layer)."""
    if phase in _READ_ONLY:
        return InvalidTransition(_READ_ONLY[phase], group=_group_word(group), details=details)
    return InvalidTransition(_GROUP_FIXED[group], phase=_phase_word(phase), details=details)


def refusal(phase: CallPhase, group: str) -> str:
    """The documented refusal of a change to `group` in `phase`, in the language being spoken (English outside a
    request)."""
    error = refusal_error(phase, group)
    return gettext(error.template, **error.params)


def check_changes(call: Call, changed: list[str], *, reason: str) -> CallPhase:
    """Refuse (InvalidTransition, 409) the first changed setting the call's phase fixes, or (InvalidInput) a deadline
    moved without a reason where one is needed; returns the phase."""
    facts = call_facts(call)
    phase = call_phase(call, facts=facts)
    for name in changed:
        group = GROUP_OF[name]
        rule = CHANGES[phase][group]
        if rule is Change.FIXED or (rule is Change.BEFORE_SUBMISSION and facts.has_submission):
            raise refusal_error(phase, group, {"field": name, "phase": phase.value})
        if rule is Change.WITH_REASON and len(" ".join(reason.split())) < MIN_REASON:
            # Only the deadline moves with a reason (the table's _R).
            raise InvalidInput(N_("Say why the deadline moves (at least %(count)d characters): the reason is audited "
                                  "with the change."), count=MIN_REASON, details={"field": "reason"})
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
        raise InvalidTransition(N_("The call is %(phase)s: only a decided call, or a closed one nobody submitted to, "
                                   "can be archived."), phase=_phase_word(phase), details={"phase": phase.value})
    call.archived_at = utcnow()
    db.session.flush()
    record_event(actor, "call.archived", object_type="call", object_id=call.code,
                 changes={"phase": {"from": phase.value, "to": CallPhase.ARCHIVED.value}})
