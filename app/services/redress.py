"""Evaluation review (redress): the coordinator's request about a decision letter.

The rules (shared/domain/eu-evaluation.md, README "Evaluation review (redress)"): one request per proposal and stage
(the decision of the letter: ineligibility, rejection, reserve list), by an applicant of the proposal's organisation
(the coordinator's: the organisation that submitted it), within the window of `app.queries.redress.redress_window`,
pointing to a procedural failing or a factual error of the kind the stage admits (`app.enums.REDRESS_GROUNDS`),
never to the experts' judgement of the merits.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import (
    REDRESS_GROUNDS,
    AssignmentState,
    CallKind,
    LetterKind,
    RedressGround,
    RedressStatus,
    ReportStatus,
    RunStatus,
)
from app.extensions import db
from app.formatting import format_local
from app.languages import N_
from app.letter_files import RenderedLetter, render_redress_closing, render_redress_reply
from app.models import Assignment, Letter, Proposal, RedressRequest, SelectionRun, User
from app.models.limits import MAX_REDRESS_GROUNDS, MIN_REDRESS_GROUNDS
from app.queries.access import is_member_of_proposal_organisation, require_officer
from app.queries.consensus import consensus_of
from app.queries.outcomes import documents_outcomes, sha256_text
from app.queries.redress import (
    ReviewPreview,
    evaluation_participants,
    redress_window,
    redressable_letter,
    request_for,
    review_preview,
)
from app.queries.runs import finalise_preview, run_in_force
from app.queries.selection import SelectionOptions
from app.services.assignment import fill_gaps
from app.services.audit import record_event
from app.services.errors import (
    AlreadyExists,
    DeadlinePassed,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotReady,
    StalePreview,
)
from app.services.evaluator_mail import queue_assignment_notices
from app.services.selection import DECIDE, finalise_run, lock_call, next_run_number, run_selection
from app.storage import get_storage
from app.translation import current_language, gettext, ngettext
from scoring import canonical_json, decision_to_dict, selection_to_dict

# A letter named inside a sentence, with its article: "is a reserve list letter, not a rejection letter".
_LETTER_IN_SENTENCE = {
    (LetterKind.AWARD, CallKind.GRANT): N_("an award letter"),
    (LetterKind.RESERVE, CallKind.GRANT): N_("a reserve list letter"),
    (LetterKind.REJECTION, CallKind.GRANT): N_("a rejection letter"),
    (LetterKind.INELIGIBLE, CallKind.GRANT): N_("an ineligibility letter"),
    (LetterKind.AWARD, CallKind.EVENT): N_("an acceptance letter"),
    (LetterKind.RESERVE, CallKind.EVENT): N_("a waiting list letter"),
    (LetterKind.REJECTION, CallKind.EVENT): N_("a non-acceptance letter"),
    (LetterKind.INELIGIBLE, CallKind.EVENT): N_("an ineligibility letter"),
    (LetterKind.REDRESS_REPLY, CallKind.GRANT): N_("an evaluation review reply"),
    (LetterKind.REDRESS_REPLY, CallKind.EVENT): N_("an evaluation review reply"),
}


def _letter_in_sentence(kind: LetterKind, call_kind: CallKind) -> str:
    """The letter's name with its article in the language of the request that asked (a page's or the API's)."""
    return gettext(_LETTER_IN_SENTENCE[(kind, call_kind)])


def file_redress_request(proposal: Proposal, *, actor: User | None, stage: LetterKind, ground: RedressGround,
                         grounds_text: str) -> RedressRequest:
    """File the coordinator's request for a review of the decision `stage` of the proposal's latest letter.

    Refused (DomainError, with the reason): anyone but an applicant of the proposal's organisation; no published
    letter, or a letter of another decision than `stage` (an award is not reviewed); a second request for the stage;
    after the window closed; a ground the stage does not admit, or grounds shorter than MIN_REDRESS_GROUNDS.
    Side effects: the request, an audit event; flushes.
    """
    if actor is None or not is_member_of_proposal_organisation(actor, proposal):
        raise NotAllowed(N_("Only the applicants of the coordinating organisation may request a review of its "
                            "proposal's evaluation."))
    _lock_proposal(proposal)
    letter = _letter_of_stage(proposal, stage)
    earlier = request_for(proposal, stage)
    if earlier is not None:
        # The reader's language (a page's), as the message that quotes it.
        filed = format_local(earlier.filed_at, proposal.call.time_zone, locale=current_language())
        raise AlreadyExists(N_("A review of this decision was already requested on %(filed)s: one request per "
                               "proposal and decision."), filed=filed)
    window = redress_window(letter, proposal.call)
    if window is None:  # not reached: _letter_of_stage found a published letter of a reviewable kind
        raise InvalidTransition(N_("This letter opens no review."))
    now = utcnow()
    if not window.is_open(now):
        closed = format_local(window.closes_at, proposal.call.time_zone, locale=current_language())
        if window.opened:
            raise DeadlinePassed(N_("The time to request a review ended on %(closed)s: %(days)s days after the letter "
                                    "was received (you opened it)."), closed=closed, days=window.days)
        raise DeadlinePassed(N_("The time to request a review ended on %(closed)s: %(days)s days after the letter was "
                                "received (%(unopened)s days after it was sent, unopened)."),
                             closed=closed, days=window.days, unopened=window.unopened_days)
    _check_grounds(stage, ground, grounds_text)
    request = RedressRequest(call_id=proposal.call_id, proposal_id=proposal.id, letter_id=letter.id, stage=stage,
                             ground=ground, grounds_text=grounds_text.strip(), filed_by_id=actor.id, filed_at=now,
                             window_closes_at=window.closes_at)
    db.session.add(request)
    db.session.flush()
    record_event(actor, "redress.filed", object_type="proposal", object_id=proposal.id, request=request.id,
                 stage=stage.value, ground=ground.value, letter=letter.reference)
    return request


def _lock_proposal(proposal: Proposal) -> None:
    """Two applicants filing at once: the second waits, then finds the first's request (PostgreSQL; SQLite writes one
    at a time anyway)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(Proposal.id).where(Proposal.id == proposal.id).with_for_update(key_share=True))


def _letter_of_stage(proposal: Proposal, stage: LetterKind) -> Letter:
    letter = redressable_letter(proposal)
    if letter is None:
        raise InvalidTransition(N_("This proposal has no published decision letter: a review is requested about "
                                   "one."))
    call_kind = proposal.call.kind
    if letter.kind not in REDRESS_GROUNDS:
        raise InvalidTransition(N_("The proposal's letter is %(kind)s: only ineligibility, rejection and reserve list "
                                   "decisions may be reviewed."), kind=_letter_in_sentence(letter.kind, call_kind))
    if letter.kind is not stage:
        raise InvalidTransition(
            N_("The proposal's letter in force is %(kind)s, not %(stage)s: a request is about the decision it "
               "announces."), kind=_letter_in_sentence(letter.kind, call_kind),
            stage=_letter_in_sentence(stage, call_kind), details={"field": "stage"})
    return letter


def _check_grounds(stage: LetterKind, ground: RedressGround, grounds_text: str) -> None:
    # Each field's message is written in the language of the request that asked (the page's or the API's).
    problems: dict[str, str] = {}
    if ground not in REDRESS_GROUNDS[stage]:
        problems["ground"] = (gettext("An ineligibility decision is reviewed on its eligibility check only.")
                              if stage is LetterKind.INELIGIBLE else
                              gettext("An evaluated proposal passed its eligibility check: point to the evaluation "
                                      "procedure or to scores that contradict their comments."))
    length = len(grounds_text.strip())
    if length < MIN_REDRESS_GROUNDS:
        problems["grounds_text"] = gettext("Say what went wrong in at least %(min)d characters: which step, and how "
                                           "it could change the decision.", min=MIN_REDRESS_GROUNDS)
    elif length > MAX_REDRESS_GROUNDS:
        problems["grounds_text"] = gettext("At most %(max)d characters.", max=MAX_REDRESS_GROUNDS)
    if problems:
        raise InvalidInput.naming(problems, several="problems with the request", summary=ngettext(
            "%(num)d problem with the request: %(first)s", "%(num)d problems with the request: %(first)s",
            len(problems), first=next(iter(problems.values()))))


def check_committee_member(request: RedressRequest, actor: User | None) -> User:
    """The actor, if they may sit on the review committee of this request: an officer or administrator who took no
    part in the evaluation of the proposal (`app.queries.redress.evaluation_participants`); NotAllowed otherwise."""
    require_officer(actor, to=N_("review an evaluation"))
    if actor is None:  # not reached: require_officer refuses the system without `unattended`
        raise NotAllowed(N_("Only programme officers and administrators review an evaluation."))
    if actor.id in evaluation_participants(request.proposal):
        raise NotAllowed(N_("You took part in the evaluation of this proposal (you screened it, evaluated it, changed "
                            "its evaluators or handled its consensus): the review committee is made of officers who "
                            "did not."))
    return actor


def reject_redress_request(request: RedressRequest, *, actor: User | None, assessment: str) -> Letter:
    """The committee's outcome "rejected": the decision stands, and a reasoned reply letter is issued to the
    coordinator (published at once under *My letters*, verifiable like every letter).

    Refused: anyone but a committee member (`check_committee_member`), a request already decided, an assessment
    shorter than MIN_REDRESS_GROUNDS. Side effects: the reply's PDF stored, the letter, the request decided, an
    audit event; flushes.
    """
    member, assessment = _check_decision(request, actor, assessment)
    decided = utcnow().replace(microsecond=0)
    reference = f"{request.proposal.reference}-R{request.id}"
    reply = _publish_reply(request, render_redress_reply(request, reference=reference, assessment=assessment,
                                                          decided=decided), by=member)
    request.status, request.assessment = RedressStatus.REJECTED, assessment
    request.decided_at, request.decided_by_id, request.reply_letter_id = decided, member.id, reply.id
    record_event(member, "redress.rejected", object_type="proposal", object_id=request.proposal_id,
                 request=request.id, reply=reference)
    db.session.flush()
    return reply


def _publish_reply(request: RedressRequest, rendered: RenderedLetter, *, by: User) -> Letter:
    """Store the reply's PDF and publish it at once under the coordinator's *My letters* (a reply is not batched)."""
    get_storage().put_bytes(rendered.pdf)
    decided = rendered.decision_date
    reply = Letter(proposal_id=request.proposal_id, run_id=None, kind=LetterKind.REDRESS_REPLY,
                   reference=rendered.reference, verification_code=rendered.verification_code, sha256=rendered.sha256,
                   decision_date=decided, created_at=decided, published_at=decided, published_by_id=by.id,
                   size_bytes=len(rendered.pdf), page_count=rendered.pages)
    db.session.add(reply)
    db.session.flush()
    return reply


# A decided request's outcome, said whole in each language (not built from its label).
_ALREADY_DECIDED = {
    RedressStatus.REJECTED: N_("This request was already decided: rejected: the decision stands."),
    RedressStatus.UPHELD: N_("This request was already decided: upheld: the proposal is being re-evaluated."),
    RedressStatus.FILED: N_("This request is awaiting the review committee."),  # not reached: FILED is not decided
}


def _check_decision(request: RedressRequest, actor: User | None, assessment: str) -> tuple[User, str]:
    """The committee member deciding and the assessment, stripped; refused as `reject_redress_request` says."""
    member = check_committee_member(request, actor)
    if request.status is not RedressStatus.FILED:
        raise InvalidTransition(_ALREADY_DECIDED[request.status])
    assessment = assessment.strip()
    if not MIN_REDRESS_GROUNDS <= len(assessment) <= MAX_REDRESS_GROUNDS:
        raise InvalidInput(N_("Give the committee's reasons in %(min)d to %(max)d characters: they are the reply "
                              "letter's."), min=MIN_REDRESS_GROUNDS, max=MAX_REDRESS_GROUNDS,
                           details={"field": "assessment"})
    return member, assessment


def uphold_redress_request(request: RedressRequest, *, actor: User | None, assessment: str) -> RedressRequest:
    """The committee's outcome "upheld": the evaluation was flawed, and the proposal is re-evaluated by new evaluators.

    The original evaluators are withdrawn from it (kept on record, with the reason; one `redress.upheld` event says
    which, so that the decision does not make the committee member a participant) and its consensus is superseded
    (kept on record; the ranking reads only the consensus in force, `CURRENT_CONSENSUS`), so the new panel writes a
    new one. Refused as `reject_redress_request`, and for an ineligibility decision (it is re-screened, not
    re-evaluated). Side effects: the request decided, withdrawals, the consensus marked, audit events; flushes.
    """
    member, assessment = _check_decision(request, actor, assessment)
    if request.stage is LetterKind.INELIGIBLE:
        raise InvalidTransition(N_("An upheld review of an ineligibility decision calls for a new eligibility check, "
                                   "not a re-evaluation: record it on the proposal's screening."))
    decided = utcnow().replace(microsecond=0)
    reason = f"Re-evaluation ordered by the evaluation review {request.proposal.reference}-R{request.id}."
    withdrawn = list(db.session.scalars(sa.select(Assignment).where(
        Assignment.proposal_id == request.proposal_id, Assignment.state != AssignmentState.WITHDRAWN)))
    for assignment in withdrawn:
        assignment.state, assignment.is_rapporteur = AssignmentState.WITHDRAWN, False
        assignment.withdrawn_at, assignment.withdrawn_reason = decided, reason
    superseded = consensus_of(request.proposal)
    if superseded is not None:
        superseded.superseded_at = decided
    request.status, request.assessment = RedressStatus.UPHELD, assessment
    request.decided_at, request.decided_by_id = decided, member.id
    db.session.flush()
    record_event(member, "redress.upheld", object_type="proposal", object_id=request.proposal_id,
                 request=request.id, superseded_consensus=superseded.id if superseded else None,
                 withdrawn=[a.id for a in withdrawn], reason=reason)
    return request


def assign_reevaluators(request: RedressRequest, *, actor: User | None) -> list[Assignment]:
    """The officer assigns the re-evaluation's panel: the call's number of evaluators per proposal, chosen by the
    assignment service (`fill_gaps`: loads, conflicts, panel rules) with every evaluator the proposal ever had
    excluded, and published to them at once (their dashboard, an e-mail) as the evaluation is already under way.

    Refused: anyone but an officer; a request not upheld; a proposal that already has its new panel; no evaluator
    left who fits (AssignmentInfeasible, naming why). Side effects: assignments, audit events, the notices' job.
    """
    require_officer(actor, to=N_("assign evaluators"))
    assert actor is not None  # noqa: S101 - require_officer refuses the system without `unattended`
    if request.status is not RedressStatus.UPHELD:
        raise InvalidTransition(N_("Only an upheld request orders a re-evaluation."))
    proposal = request.proposal
    ever = frozenset(db.session.scalars(sa.select(Assignment.evaluator_id).where(
        Assignment.proposal_id == proposal.id)))
    now = utcnow()
    created = fill_gaps(proposal.call, actor=actor, only={proposal.id}, exclude={proposal.id: ever}, now=now).created
    if not created:
        raise InvalidTransition(ngettext("The re-evaluation already has its %(num)d evaluator.",
                                         "The re-evaluation already has its %(num)d evaluators.",
                                         proposal.call.evaluators_per_proposal))
    for assignment in created:
        assignment.state, assignment.published_at = AssignmentState.PUBLISHED, now
    db.session.flush()
    record_event(actor, "redress.reevaluators_assigned", object_type="proposal", object_id=proposal.id,
                 request=request.id, assignment_ids=[a.id for a in created], excluded=sorted(ever))
    queue_assignment_notices(proposal.call, created)
    return created


def rerun_after_review(request: RedressRequest, *, actor: User | None) -> SelectionRun:
    """Once the re-evaluation's consensus is approved, re-run the call's ranking and selection with it as a new
    recorded run (`run_selection`: `scoring` decides), with the options of the run in force; the request page shows
    its difference from the finalised run (`app.queries.redress.rerun_difference`).

    Refused: anyone but an officer; a request not upheld; before the new consensus is approved (NotReady). Side
    effects: the run, the request's `rerun_id`, audit events; flushes.
    """
    require_officer(actor, to=DECIDE)
    if request.status is not RedressStatus.UPHELD:
        raise InvalidTransition(N_("Only an upheld request's re-evaluation re-runs the ranking and selection."))
    reevaluated = consensus_of(request.proposal)
    if reevaluated is None or reevaluated.status is not ReportStatus.APPROVED:
        raise NotReady(N_("The re-evaluation's consensus is not approved yet: the ranking and selection are re-run "
                          "with it once it is."))
    call = request.proposal.call
    in_force = run_in_force(call)
    options = None if in_force is None else SelectionOptions.from_values(
        call, **{key: in_force.options.get(key) for key in ("budget_policy", "reserve_size", "coverage")})
    run = run_selection(call, actor=actor, options=options, note=f"Re-run after the evaluation review "
                                                                 f"{request.proposal.reference}-R{request.id}, upheld.")
    request.rerun_id = run.id
    db.session.flush()
    record_event(actor, "redress.rerun", object_type="proposal", object_id=request.proposal_id, request=request.id,
                 run=run.number, compared_with=in_force.number if in_force else None)
    return run


def close_redress_request(request: RedressRequest, *, actor: User | None, token: str) -> RedressRequest:
    """Confirm the outcome of an upheld request's re-evaluation and close it with the reply letter.

    `scoring.review` decides from the run in force and the re-run (`app.queries.redress.review_preview`): funded
    from the budget left, placed on the reserve list (first when it would have been funded but funds are short or the
    award cap is reached), or the decision stands. A decision that changes the proposal's place is applied as a new
    run that follows the run in force (like a promotion from the reserve list: stored, hashed, re-runnable) and is
    finalised at once, so the proposal's decision changes and nobody else's does; the reply letter (PDF, verifiable,
    in the coordinator's language) states the new score and the outcome, and is published at once.

    Refused: anyone but an officer; a request not upheld or already closed; before the re-run (NotReady); a `token`
    that is not the one of the outcome shown (StalePreview: the run in force or the re-run changed). Side effects:
    the run (finalised, the proposal's decision), the letter's PDF stored, the letter, the request closed, audit
    events; flushes.
    """
    require_officer(actor, to=DECIDE)
    assert actor is not None  # noqa: S101 - require_officer refuses the system without `unattended`
    if request.status is not RedressStatus.UPHELD:
        raise InvalidTransition(N_("Only an upheld request is closed with the outcome of its re-evaluation."))
    if request.is_closed:
        raise InvalidTransition(N_("This request is already closed: its outcome is confirmed and its letter issued."))
    lock_call(request.call_id)
    preview = review_preview(request)
    if preview is None:
        raise NotReady(N_("Re-run the ranking and selection with the re-evaluation's consensus first: the outcome "
                          "is decided from that re-run."))
    if token != preview.token:
        raise StalePreview(N_("The outcome shown is out of date (the run in force or the re-run changed since): open "
                              "the request again and confirm the outcome it shows now."))
    reference = f"{request.proposal.reference}-R{request.id}"
    run = _apply_review(preview, actor, reference) if preview.decision.outcome != "unchanged" else None
    decided = utcnow().replace(microsecond=0)
    outcome = {**decision_to_dict(preview.decision), "proposal": request.proposal.reference,
               "score_sum": preview.document["reviewed"]["rerun"].get("score_sum"),
               "max_awards": preview.document["rules"].get("max_awards"), "in_force": preview.in_force.number,
               "rerun": preview.rerun.number, "run": run.number if run is not None else None}
    reply = _publish_reply(request, render_redress_closing(request, reference=reference, outcome=outcome,
                                                            decided=decided), by=actor)
    request.outcome, request.outcome_run_id, request.reply_letter_id = outcome, run.id if run else None, reply.id
    request.closed_at, request.closed_by_id = decided, actor.id
    record_event(actor, "redress.closed", object_type="proposal", object_id=request.proposal_id, request=request.id,
                 outcome=preview.decision.outcome, code=preview.decision.code, reason=preview.decision.reason,
                 run=outcome["run"], reply=reference)
    db.session.flush()
    return request


def _apply_review(preview: ReviewPreview, actor: User, reference: str) -> SelectionRun:
    """Store the review as a run that follows the run in force, and finalise it (the officer's confirmation is the
    finalisation: what it changes is the one proposal the outcome names)."""
    in_force = preview.in_force
    input_json, output_json = canonical_json(preview.document), canonical_json(selection_to_dict(preview.after))
    outcomes = documents_outcomes(preview.document, json.loads(output_json))
    decision = preview.decision
    run = SelectionRun(
        call_id=in_force.call_id, number=next_run_number(in_force.call), status=RunStatus.DRAFT,
        options={**{key: value for key, value in in_force.options.items() if key not in ("promotion", "review")},
                 "review": {"request": reference, "outcome": decision.outcome, "code": decision.code}},
        input_json=input_json, output_json=output_json, input_sha256=sha256_text(input_json),
        output_sha256=sha256_text(output_json), note=f"Outcome of the evaluation review {reference}, upheld: "
                                                     f"{decision.reason}.",
        parent_run_id=in_force.id, summary=outcomes.summary(), created_by_id=actor.id, created_at=utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    record_event(actor, "selection.review", object_type="selection_run", object_id=run.id, call=in_force.call.code,
                 number=run.number, parent=in_force.number, request=reference, outcome=decision.outcome,
                 code=decision.code)
    finalise_run(run, actor=actor, token=finalise_preview(run).token)
    return run


def record_letter_opened(letter: Letter, *, actor: User | None) -> None:
    """Note the first time an applicant of the proposal's organisation downloads its published letter: the letter's
    receipt, from which the redress window runs. Officers reading it, and later downloads, change nothing.

    Written at once in a short transaction of its own, like the officers' access log (app/privacy/access_log.py):
    the download is a GET, whose request transaction is never committed, but the receipt must be on record. The
    conditional UPDATE keeps the first opening when two downloads race.
    """
    if letter.opened_at is not None or letter.published_at is None \
            or actor is None or not is_member_of_proposal_organisation(actor, letter.proposal):
        return
    opened_at = utcnow()
    with db.engine.begin() as connection:
        connection.execute(sa.update(Letter.__table__).where(  # type: ignore[arg-type]
            Letter.__table__.c.id == letter.id, Letter.__table__.c.opened_at.is_(None)).values(opened_at=opened_at))
