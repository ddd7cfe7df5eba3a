"""The world of the "upheld → re-evaluation" tests: a closed call whose three proposals were evaluated through the
services (reports, consensus, a finalised run), the weakest rejected below threshold with its letter published and
a request for review filed; an officer who took part in the evaluation and one who did not; one evaluator of the
pool conflicted with the coordinator. Like tests/factories.py it flushes and the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.clock import utcnow
from app.enums import ConflictDeclaration, LetterKind, RedressGround, Role
from app.extensions import db
from app.models import Letter, PoolMember, Proposal, RedressRequest, User
from app.queries.consensus import readiness
from app.queries.evaluation import active_assignments, counts_toward_k
from app.queries.letters import verification_code
from app.queries.redress import review_preview
from app.queries.runs import finalise_preview
from app.services import consensus
from app.services.conflicts import declare_conflict
from app.services.redress import (
    assign_reevaluators,
    close_redress_request,
    file_redress_request,
    rerun_after_review,
    uphold_redress_request,
)
from app.services.selection import finalise_run, run_selection
from tests.evaluation_support import GOOD, full_scores, submit_ier, user
from tests.factories import EvaluationWorld, make_evaluation_setup, make_letter_scenario, make_staff

GROUNDS = ("Two of the three experts scored the impact criterion on a version of the proposal that was not the one "
           "submitted: their comments quote a work package that the submitted version no longer has.")
ASSESSMENT = ("The individual reports quote a work package of an earlier draft, so the evaluation did not rest on "
              "the submitted proposal: the request is upheld and the proposal re-evaluated by new experts.")
CONFLICTED = 4  # the pool's fifth evaluator works for the coordinator: never on its proposals


@dataclass(frozen=True)
class RedressWorld:
    world: EvaluationWorld
    request_id: int
    proposal_id: int  # the rejected proposal whose coordinator asked for the review
    originals: frozenset[int]  # its evaluators' user ids
    conflicted_id: int
    participant_id: int  # an officer who took part in its evaluation (approved its consensus)
    outsider_id: int  # an officer who did not: may sit on the committee

    def request(self) -> RedressRequest:
        request = db.session.get(RedressRequest, self.request_id)
        assert request is not None
        return request

    def proposal(self) -> Proposal:
        proposal = db.session.get(Proposal, self.proposal_id)
        assert proposal is not None
        return proposal


def evaluate(proposal: Proposal, world: EvaluationWorld, *, value: str, approver: User | None) -> None:
    """Every active evaluator of the proposal declares no conflict (if not done yet) and reports with all scores
    `value`; the rapporteur drafts and submits the consensus and `approver` (if any) approves it, all through the
    services."""
    for assignment in active_assignments(proposal.id):
        if assignment.conflict is ConflictDeclaration.UNDECLARED:
            declare_conflict(assignment, actor=user(assignment.evaluator_id), conflict=False)
        if counts_toward_k(assignment):
            submit_ier(assignment.id, value)
    rapporteur = readiness(proposal).rapporteur
    assert rapporteur is not None
    consensus.save_consensus(proposal, actor=user(rapporteur.evaluator_id), scores=full_scores(value),
                             overall_comment=GOOD, submit=True)
    if approver is not None:
        consensus.approve_consensus(proposal, actor=approver)


def make_redress_world(code: str = "REDRESS-UP", **call_fields: Any) -> RedressWorld:
    """The world above; `call_fields` set the call's (its budget, its award cap)."""
    world = make_evaluation_setup(code=code, proposals=3, evaluators=8, **call_fields)
    approver = make_staff(Role.OFFICER, f"approver@{code.lower()}.test", organisation="European Commission",
                          country="BE", name="Anna Approver")
    outsider = make_staff(Role.OFFICER, f"committee@{code.lower()}.test", organisation="European Commission",
                          country="BE", name="Carl Committee")
    proposals = [db.session.get(Proposal, pid) for pid in world.proposal_ids]
    for proposal, value in zip(proposals, ("3", "4", "4.5"), strict=True):
        assert proposal is not None
        evaluate(proposal, world, value=value, approver=approver)
    officer = user(world.officer_id)
    run = run_selection(proposals[0].call, actor=officer)  # type: ignore[union-attr]
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
    rejected = proposals[0]
    assert rejected is not None
    conflicted = db.session.get(PoolMember, world.member_ids[CONFLICTED])
    assert conflicted is not None
    conflicted.organisation_name = "Baltic Cluster Alliance"
    reference = f"{rejected.reference}-L1"
    db.session.add(Letter(proposal_id=rejected.id, run_id=run.id, kind=LetterKind.REJECTION, reference=reference,
                          verification_code=verification_code(reference), sha256="0" * 64,
                          decision_date=utcnow(), published_at=utcnow()))
    request: RedressRequest = file_redress_request(
        rejected, actor=user(world.applicant_id), stage=LetterKind.REJECTION,
        ground=RedressGround.EVALUATION_PROCEDURE, grounds_text=GROUNDS)
    db.session.flush()
    originals = frozenset(world.evaluator_ids[i] for i in range(3))
    return RedressWorld(world=world, request_id=request.id, proposal_id=rejected.id, originals=originals,
                        conflicted_id=world.evaluator_ids[CONFLICTED], participant_id=approver.id,
                        outsider_id=outsider.id)


def close_upheld_review(world: RedressWorld, *, value: str = "4") -> RedressRequest:
    """The committee upholds the world's request, new experts re-evaluate the proposal at `value` on every criterion,
    the officer re-runs the selection and closes the request with its reply letter. Flushes; the caller commits."""
    officer = user(world.world.officer_id)
    request = world.request()
    uphold_redress_request(request, actor=user(world.outsider_id), assessment=ASSESSMENT)
    assign_reevaluators(request, actor=officer)
    evaluate(request.proposal, world.world, value=value, approver=officer)
    rerun_after_review(request, actor=officer)
    preview = review_preview(request)
    assert preview is not None
    close_redress_request(request, actor=officer, token=preview.token)
    return request


def published_letters(owner: User) -> dict[str, int]:
    """The letter scenario of `owner`'s organisation with an ineligibility letter and an award letter published:
    their proposals' ids under "ineligible" and "selected". Flushes; the caller commits."""
    data = make_letter_scenario(owner)
    ids = {}
    for status, kind in (("ineligible", LetterKind.INELIGIBLE), ("selected", LetterKind.AWARD)):
        proposal = data["proposals"][status]
        reference = f"{proposal.reference}-L1"
        db.session.add(Letter(proposal_id=proposal.id, kind=kind, reference=reference,
                              verification_code=verification_code(reference), sha256="0" * 64,
                              decision_date=utcnow(), published_at=utcnow()))
        ids[status] = proposal.id
    db.session.flush()
    return ids
