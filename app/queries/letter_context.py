"""What a decision letter says: everything its template shows, as plain values, read from the run's outcome.

The decision, the reason and the figures come from the scoring core's output for the proposal (`app.queries.outcomes`):
its status, rank and reason, the reason code and the budget left at its step, the weighted total (or none: not
ranked) and the unweighted sum, and the thresholds it missed; the Evaluation Summary prints the scores the run
decided on under the rules the run applied, beside the consensus comments. Nothing here works a decision out again.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.enums import CallKind, LetterKind, letter_decision_label, letter_kind_label
from app.extensions import db
from app.formatting import format_day, format_money, format_score
from app.languages import N_
from app.models import Assessment, Call, ConsensusReport, Proposal, RedressRequest, SelectionRun
from app.queries.letters import letter_kind, letter_reference, verification_code
from app.queries.outcomes import Outcome
from app.translation import current_language, gettext, ngettext
from scoring import Rules


def decision_moment(run: SelectionRun) -> datetime:
    """The date letters carry (and their PDF metadata): when the run was finalised."""
    return run.finalised_at or run.created_at


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day_text(day: date) -> str:
    return format_day(day, locale=current_language())


def _money(amount: Decimal | None) -> str:
    return format_money(amount, locale=current_language())


def _score(value: Decimal | None) -> str:
    return format_score(value, locale=current_language())


def decision_reason(outcome: Outcome, call: Call, rules: Rules) -> str:
    """The reason the scoring core gave for the decision (its reason code), as the letter states it, with the
    run's figures; empty when the run's output names no reason code, and the letter then states no reason of its
    own beyond the core's selection line.

    One sentence per rule, nothing else: the award cap, the budget (skip or stop policy), the coverage rule, rank
    order within the budget, a promotion from the reserve list. Thresholds and ineligibility have letters of their
    own that say so. In the language being spoken (the letter's recipient's).
    """
    if call.is_assessed:
        return _mission_reason(outcome, rules)
    is_event = call.kind is CallKind.EVENT
    cap = rules.max_awards or 0
    code = outcome.reason_code
    if code == "award_cap":
        if is_event:
            return ngettext("The call has one slot, and it had been given when its turn came in the selection.",
                            "The call has %(num)d slots, and all %(num)d had been given when its turn came in the "
                            "selection.", cap)
        return ngettext("The call funds one proposal, and that award had been made when its turn came in the "
                        "selection.", "The call funds at most %(num)d proposals, and all %(num)d awards had been made "
                        "when its turn came in the selection.", cap)
    if code == "budget":
        return gettext("Its requested grant of %(requested)s did not fit the %(left)s of the budget left when its "
                       "turn came in the selection.", requested=_money(outcome.requested),
                       left=_money(outcome.budget_left))
    if code == "stop_policy":
        return gettext("The selection funds the proposals in rank order and, under the call's rules, stops at the "
                       "first whose requested grant does not fit the budget left; it stopped at a proposal ranked "
                       "above this one.")
    if code == "coverage":
        return _coverage_reason(outcome, call, rules)
    if code == "fits":
        if is_event:
            return gettext("It was accepted in rank order, within the slots available.")
        return gettext("It was selected in rank order: its requested grant fitted the budget left when its turn "
                       "came.")
    if code == "promoted":
        return gettext("It was on the reserve list and is now selected from it, in the order of the list: a selected "
                       "proposal left the selection, and its requested grant fits the budget this freed.")
    if code == "review" and outcome.status == "selected":
        return gettext("After an upheld evaluation review it was evaluated again by new experts, and its new rank "
                       "puts it among the funded: it is selected from the budget left, and the proposals already "
                       "selected keep their grants.")
    if code == "review":
        return gettext("After an upheld evaluation review it was evaluated again by new experts and placed on the "
                       "reserve list by its new rank.")
    return ""


def _mission_reason(outcome: Outcome, rules: Rules) -> str:
    """The reason of a call for expression of interest (`scoring.assessment`): the officer's assessment, the places."""
    places = rules.max_awards or 0
    if outcome.reason_code == "fits":
        return ngettext("It was assessed suitable, and the mission's one place went to the best fit with its aims.",
                        "It was assessed suitable, and its fit with the mission's aims placed it within the "
                        "%(num)d places.", places)
    if outcome.reason_code == "award_cap":
        return ngettext("It was assessed suitable, but the mission's one place went to a proposal with a better fit "
                        "with its aims or, with an equal fit, submitted earlier.",
                        "It was assessed suitable, but the mission's %(num)d places went to proposals with a better "
                        "fit with its aims or, with an equal fit, submitted earlier.", places)
    if outcome.reason_code == "not_suitable":
        return gettext("It was assessed not suitable for the mission's aims.")
    if outcome.reason_code == "promoted":
        return gettext("It was on the reserve list and now takes the place that a selected organisation freed, in "
                       "the order of the list.")
    return ""


def _assessment(proposal: Proposal) -> dict[str, Any] | None:
    """The officer's assessment a mission letter quotes (its reasons stay in the officer's words)."""
    found = db.session.scalar(sa.select(Assessment).where(Assessment.proposal_id == proposal.id))
    return None if found is None else {"fit": found.fit, "note": found.note, "verdict": found.verdict.value}


def _coverage_reason(outcome: Outcome, call: Call, rules: Rules) -> str:
    # The strand's label and value are the call's own words (user content), quoted as written.
    covered = None if rules.coverage is None else outcome.fields.get(rules.coverage)
    strand = call.strand_label.lower()
    if covered is not None and str(covered):
        strand = f"{strand} ({covered})"
    if call.kind is CallKind.EVENT:
        return gettext("It was selected under the call's coverage rule, as the best-ranked proposal of its "
                       "%(strand)s.", strand=strand)
    return gettext("It was selected under the call's coverage rule, as the best-ranked proposal of its %(strand)s "
                   "whose requested grant fits the budget.", strand=strand)


def evaluation_summary(call: Call, rules: Rules, outcome: Outcome, report: ConsensusReport | None) -> dict[str, Any]:
    """The Evaluation Summary Report: per criterion of the run's rules, the score the run decided on, its maximum,
    threshold and weight, whether the core found it below threshold, and the consensus comment; then the sums the
    core gave and the overall comment."""
    # The criteria as the call names them in the letter's language (the English where none was given).
    names = {criterion.key: criterion.text("name", current_language()) for criterion in call.criteria}
    keys = {criterion.id: criterion.key for criterion in call.criteria}
    comments = {keys.get(score.criterion_id): score.comment for score in (report.scores if report else [])}
    below = outcome.failed_criteria
    rows = [{
        "name": names.get(criterion.key, criterion.key), "score": _score(outcome.scores.get(criterion.key)),
        "max": _score(criterion.max), "weight": _score(criterion.weight),
        "threshold": None if criterion.threshold is None else _score(criterion.threshold),
        "comment": comments.get(criterion.key) or "", "below_threshold": criterion.key in below,
    } for criterion in rules.criteria]
    return {
        "rows": rows,
        "unweighted": None if outcome.score_sum is None else _score(outcome.score_sum),
        "weighted": None if outcome.weighted_total is None else _score(outcome.weighted_total),
        # The weighted total ranks; a proposal below threshold was not ranked, and its letter says so.
        "ranked": outcome.rank is not None,
        "weights_differ": any(criterion.weight != 1 for criterion in rules.criteria),
        "overall_comment": report.overall_comment if report else "",
        "available": report is not None,
    }


def letter_context(proposal: Proposal, run: SelectionRun, outcome: Outcome, report: ConsensusReport | None,
                   *, rules: Rules, transfer_call: Call | None = None) -> dict[str, Any]:
    """Everything a letter template shows, as plain values (no lazy loading from the template)."""
    call = run.call
    config = current_app.config
    kind = letter_kind(outcome)
    if kind is None:
        raise ValueError(f"the status {outcome.status!r} calls for no letter")
    reference = letter_reference(proposal, run)
    code = verification_code(reference)
    decided = decision_moment(run)
    local_day = decided.astimezone(call.zone).date()
    base_url = str(config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    eligibility_reasons = [line.strip(" -•\t") for line in (proposal.eligibility_reason or "").splitlines()]
    return {
        **_letter_kind(kind, call),
        "reference": reference,
        "verification_code": code,
        "verify_url": f"{base_url}/verify/{code}",
        "decision_iso": decided.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "decision_day": _day_text(local_day),
        "call": {
            "code": call.code, "title": call.text("title", current_language()), "english_title": call.title,
            "programme": call.programme, "reserve_size": call.reserve_size, "strand_label": call.strand_label,
            "max_total": call.max_total_score, "overall_threshold": rules.overall_threshold,
        },
        "proposal": _proposal(proposal),
        "outcome": {
            "status": outcome.status, "rank": outcome.rank, "reason": outcome.reason,
            "reserve_position": outcome.reserve_position,
            "total": None if outcome.total is None else _score(outcome.total),
            "reason_code": outcome.reason_code, "why": decision_reason(outcome, call, rules),
            # The run's reserve list, which may differ from the call's setting (an officer's what-if options).
            "reserve_size": rules.reserve_size,
        },
        "evaluation": evaluation_summary(call, rules, outcome, report),
        "eligibility_reasons": [reason for reason in eligibility_reasons if reason],
        "next_step": {
            "starts": _day_text(local_day + timedelta(days=call.grant_preparation_days
                                                        or int(config.get("GRANT_PREPARATION_DAYS", 14)))),
            "sign_by": _day_text(add_months(local_day, 3)),
        },
        "redress_days": call.redress_days or int(config.get("REDRESS_DAYS", 30)),
        "redress_wording": call.redress_wording or "",
        "issuer": config.get("LETTER_ISSUER", ""),
        "signatory": config.get("LETTER_SIGNATORY", ""),
        "contact_email": call.letter_contact or config.get("LETTER_CONTACT_EMAIL", ""),
        "transfer": {"code": transfer_call.code, "title": transfer_call.text("title", current_language()),
                     "url": f"{base_url}/calls/{transfer_call.code}"} if transfer_call is not None else None,
        "assessment": _assessment(proposal) if call.is_assessed else None,
    }


# The decisions of a call for expression of interest (a matchmaking mission): places, not funding.
_MISSION_DECISIONS = {LetterKind.AWARD: N_("Selected to take part in the mission"),
                      LetterKind.RESERVE: N_("Reserve list of the mission"),
                      LetterKind.REJECTION: N_("Not selected for the mission")}


def _letter_kind(kind: LetterKind, call: Call) -> dict[str, Any]:
    decision = (_MISSION_DECISIONS[kind] if call.is_assessed and kind in _MISSION_DECISIONS
                else letter_decision_label(kind, call.kind))
    return {"kind": kind.value, "kind_label": gettext(letter_kind_label(kind, call.kind)),
            "decision_label": gettext(decision), "is_event": call.kind is CallKind.EVENT,
            "is_mission": call.is_assessed}


def _proposal(proposal: Proposal) -> dict[str, Any]:
    coordinator = proposal.coordinator
    return {
        "reference": proposal.reference, "acronym": proposal.acronym, "title": proposal.title,
        "strand": proposal.strand, "duration_months": proposal.duration_months,
        "requested": _money(proposal.requested_grant) if proposal.requested_grant is not None else None,
        "organisation": proposal.organisation.name,
        "country": proposal.organisation.country,
        "coordinator": coordinator.name if coordinator else proposal.organisation.name,
        "partners": len(proposal.partners),
    }


def _redress_letter(request: RedressRequest, *, reference: str, assessment: str,
                    decided: datetime) -> dict[str, Any]:
    """What every reply to an evaluation review request shows: the letter's reference, code and date, the call, the
    proposal, the request's filing day and the committee's assessment, the issuer and the contact point."""
    proposal = request.proposal
    call = proposal.call
    config = current_app.config
    code = verification_code(reference)
    base_url = str(config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    return {
        **_letter_kind(LetterKind.REDRESS_REPLY, call),
        "reference": reference, "verification_code": code, "verify_url": f"{base_url}/verify/{code}",
        "decision_iso": decided.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "decision_day": _day_text(decided.astimezone(call.zone).date()),
        "call": {"code": call.code, "title": call.text("title", current_language()), "programme": call.programme},
        "proposal": _proposal(proposal),
        "request": {"filed_day": _day_text(request.filed_at.astimezone(call.zone).date()),
                    "letter": request.letter.reference},
        "assessment_paragraphs": [part.strip() for part in assessment.split("\n\n") if part.strip()],
        "issuer": config.get("LETTER_ISSUER", ""), "signatory": config.get("LETTER_SIGNATORY", ""),
        "contact_email": call.letter_contact or config.get("LETTER_CONTACT_EMAIL", ""),
        "redress_wording": call.redress_wording or "",
    }


def redress_reply_context(request: RedressRequest, *, reference: str, assessment: str,
                          decided: datetime) -> dict[str, Any]:
    """What the review committee's reply to an evaluation review request shows (the decision stands)."""
    context = _redress_letter(request, reference=reference, assessment=assessment, decided=decided)
    context["request"].update(ground=gettext(request.ground.label),
                              decision=gettext(letter_decision_label(request.stage, request.proposal.call.kind)))
    return context


def redress_closing_context(request: RedressRequest, *, reference: str, outcome: dict[str, Any],
                            decided: datetime) -> dict[str, Any]:
    """What the letter closing an upheld evaluation review shows: the request upheld, the re-evaluation's result
    (its new score and rank) and the outcome `scoring.review` decided (`outcome`, as the request records it), with
    its figures in the language being spoken (the coordinator's)."""
    call = request.proposal.call
    context = _redress_letter(request, reference=reference, assessment=request.assessment or "", decided=decided)
    context["request"]["decision"] = gettext(letter_decision_label(request.stage, call.kind))

    def amount(key: str) -> str | None:
        value = outcome.get(key)
        return None if value is None else _money(Decimal(str(value)))

    def score(key: str) -> str | None:
        value = outcome.get(key)
        return None if value is None else _score(Decimal(str(value)))

    context["outcome"] = {
        "outcome": outcome.get("outcome"), "code": outcome.get("code"), "rank": outcome.get("rank"),
        "total": score("total"), "score_sum": score("score_sum"), "max_total": _score(call.max_total_score),
        "grant": amount("grant"), "budget_left": amount("budget_left"),
        "reserve_position": outcome.get("reserve_position"), "max_awards": outcome.get("max_awards"),
    }
    return context
