"""The officer's assessment of a proposal in a call for expression of interest (evaluation mode `assessment`):
suitable or not for the call's aims, a fit score and a short reasoned note, which the selection
(`scoring.assessment`) gives the places by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import Eligibility, ProposalStatus, Verdict
from app.extensions import db
from app.languages import N_
from app.models import Assessment, Proposal, User
from app.models.limits import MAX_ASSESSMENT_NOTE, MAX_FIT, MIN_ASSESSMENT_NOTE, MIN_FIT
from app.queries.access import require_officer
from app.queries.assessment import assessment_closed_reason, require_assessed_call
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition
from app.translation import gettext, ngettext

TO_ASSESS = N_("assess proposals")


def _checked(verdict: str, fit: Any, note: str) -> tuple[Verdict, int, str]:
    """The assessment as stored, or InvalidInput naming every field that is wrong."""
    # Each field's message is written in the language of the request that asked (the page's or the API's).
    problems: dict[str, str] = {}
    if verdict not in {v.value for v in Verdict}:
        problems["verdict"] = gettext("Say whether the proposal is suitable or not suitable for the call's aims.")
    if isinstance(fit, bool) or not isinstance(fit, int) or not MIN_FIT <= fit <= MAX_FIT:
        problems["fit"] = gettext("Give the fit with the call's aims, a whole number from %(min)d to %(max)d.",
                                  min=MIN_FIT, max=MAX_FIT)
    note = " ".join((note or "").split())
    if not MIN_ASSESSMENT_NOTE <= len(note) <= MAX_ASSESSMENT_NOTE:
        problems["note"] = gettext("Give the reasons in %(min)d to %(max)d characters: they are the basis of the "
                                   "letter.", min=MIN_ASSESSMENT_NOTE, max=MAX_ASSESSMENT_NOTE)
    if problems:
        first = next(iter(problems.values()))
        raise InvalidInput.naming(problems, several="parts of the assessment are not valid", summary=ngettext(
            "%(num)d part of the assessment is not valid: %(first)s",
            "%(num)d parts of the assessment are not valid: %(first)s", len(problems), first=first))
    return Verdict(verdict), fit, note


def record_assessment(proposal: Proposal, *, actor: User, verdict: str, fit: Any, note: str,
                      now: datetime | None = None) -> Assessment:
    """Record (or change) the officer's assessment of an eligible proposal of a call selected by assessment.

    Refused (InvalidTransition, 409) in a call scored by experts, before the call closes, for a proposal that is not
    submitted or not screened eligible, and once the call's selection is finalised; InvalidInput (422) names the
    field of a verdict, fit score or note that is not valid. Side effects: the assessment row, an audit event with
    the values before and after; flushes.
    """
    require_officer(actor, to=TO_ASSESS)
    call = proposal.call
    require_assessed_call(call)
    now = now or utcnow()
    closed = assessment_closed_reason(call, now)
    if closed is not None:
        raise InvalidTransition(closed)
    if proposal.status is not ProposalStatus.SUBMITTED or proposal.eligibility is not Eligibility.ELIGIBLE:
        raise InvalidTransition(N_("Only proposals screened eligible are assessed; screen this one first."),
                                details={"eligibility": proposal.eligibility.value})
    checked_verdict, checked_fit, checked_note = _checked(verdict, fit, note)
    assessment = db.session.scalar(sa.select(Assessment).where(Assessment.proposal_id == proposal.id))
    before = None if assessment is None else {"verdict": assessment.verdict.value, "fit": assessment.fit,
                                              "note": assessment.note}
    after = {"verdict": checked_verdict.value, "fit": checked_fit, "note": checked_note}
    if assessment is not None and before == after:
        return assessment
    if assessment is None:
        assessment = Assessment(proposal_id=proposal.id, created_at=now)
        db.session.add(assessment)
    assessment.verdict, assessment.fit, assessment.note = checked_verdict, checked_fit, checked_note
    assessment.assessor_id = actor.id
    assessment.updated_at = now
    db.session.flush()
    record_event(actor, "proposal.assessed", object_type="proposal", object_id=proposal.reference, call=call.code,
                 changes={"from": before, "to": after})
    return assessment
