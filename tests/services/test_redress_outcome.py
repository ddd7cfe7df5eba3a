"""Closing an upheld evaluation review: the outcome `scoring.review` decides from the run in force and the re-run,
confirmed by an officer, applied as a run that follows the run in force (nobody else's decision changes), and the
reply letter that states the new score and the outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.enums import Decision, LetterKind, RedressStatus
from app.extensions import db
from app.letter_files import letter_pdf
from app.models import Letter, RedressRequest, SelectionRun
from app.queries.outcomes import run_outcomes, verify_run
from app.queries.redress import review_preview
from app.queries.runs import run_in_force
from app.services.errors import InvalidTransition, NotAllowed, NotReady, StalePreview
from app.services.promotion import promote_from_reserve
from app.services.redress import (
    assign_reevaluators,
    close_redress_request,
    reject_redress_request,
    rerun_after_review,
    uphold_redress_request,
)
from tests.evaluation_support import events, user
from tests.letter_worlds import flat, pdf_text
from tests.redress_worlds import ASSESSMENT, RedressWorld, evaluate, make_redress_world

pytestmark = pytest.mark.usefixtures("app_ctx")


def letter_text(letter: Letter | None) -> str:
    assert letter is not None
    return flat(pdf_text(letter_pdf(letter)))


def reevaluated(value: str, **call_fields: object) -> RedressWorld:
    """The redress world, its request upheld, the proposal re-evaluated with every score `value` by a new panel and
    the ranking and selection re-run."""
    world = make_redress_world(**call_fields)  # type: ignore[arg-type]
    officer = user(world.world.officer_id)
    uphold_redress_request(world.request(), actor=user(world.outsider_id), assessment=ASSESSMENT)
    assign_reevaluators(world.request(), actor=officer)
    evaluate(world.proposal(), world.world, value=value, approver=officer)
    rerun_after_review(world.request(), actor=officer)
    db.session.commit()
    return world


def _close(world: RedressWorld) -> RedressRequest:
    request = world.request()
    preview = review_preview(request)
    assert preview is not None
    close_redress_request(request, actor=user(world.world.officer_id), token=preview.token)
    db.session.commit()
    return world.request()


def test_a_proposal_that_now_qualifies_is_funded_from_the_budget_left_and_told_so() -> None:
    world = reevaluated("4")
    before = run_in_force(world.proposal().call)
    assert before is not None
    selected_before = {o.reference for o in run_outcomes(before).selected}
    preview = review_preview(world.request())
    assert preview is not None
    assert (preview.decision.outcome, preview.decision.code) == ("funded", "fits")
    request = _close(world)
    proposal = world.proposal()
    assert request.is_closed
    assert request.status is RedressStatus.UPHELD
    assert request.outcome is not None
    assert (request.outcome["outcome"], request.outcome["grant"]) == ("funded", "1000000.00")
    assert proposal.decision is Decision.SELECTED
    run = run_in_force(proposal.call)
    assert run is not None
    assert run.id == request.outcome_run_id
    assert run.parent_run_id == before.id
    assert run.options["review"]["request"] == f"{proposal.reference}-R{request.id}"
    assert verify_run(run)
    # Nobody is unseated: every proposal funded before still is, and the reviewed one joins them.
    after = {o.reference for o in run_outcomes(run).selected}
    assert after == selected_before | {proposal.reference}
    reply = request.reply_letter
    assert reply is not None
    assert (reply.kind, reply.is_published) == (LetterKind.REDRESS_REPLY, True)
    text = letter_text(reply)
    assert "your request is upheld" in text
    assert "selected for funding from the budget left" in text
    assert "€1,000,000.00" in text
    assert "12 / 15" in text  # the new score: 4 on each of three criteria, out of 15
    assert [e.data["outcome"] for e in events("redress.closed")] == ["funded"]


def test_funds_short_puts_it_first_on_the_reserve_and_a_promotion_funds_it() -> None:
    # 2.5 million: the two funded take 2 million, and the re-evaluated proposal (now first) asks for 1 million.
    world = reevaluated("5", budget=Decimal("2500000.00"))
    request = _close(world)
    proposal = world.proposal()
    assert request.outcome is not None
    assert (request.outcome["outcome"], request.outcome["code"], request.outcome["reserve_position"]) == \
        ("reserve", "budget", 1)
    assert (proposal.decision, proposal.reserve_position) == (Decision.RESERVE, 1)
    assert "placed first on the reserve list" in letter_text(request.reply_letter)
    in_force = run_in_force(proposal.call)
    assert in_force is not None
    leaving = next(o.reference for o in run_outcomes(in_force).selected)
    promotion = promote_from_reserve(in_force, actor=user(world.world.officer_id), reference=leaving,
                                     reason="declined", note="The consortium declined the grant.")
    assert promotion.options["promotion"]["promoted"] == proposal.reference


def test_a_re_evaluation_below_threshold_leaves_the_decision_standing_with_no_new_run() -> None:
    world = reevaluated("3")
    runs_before = db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRun))
    request = _close(world)
    assert request.outcome is not None
    assert (request.outcome["outcome"], request.outcome["code"]) == ("unchanged", "threshold")
    assert request.outcome_run_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRun)) == runs_before
    assert world.proposal().decision is Decision.REJECTED
    assert "do not reach every threshold of the call" in letter_text(request.reply_letter)


def test_closing_is_refused_before_the_re_run_for_a_stale_token_and_twice() -> None:
    world = make_redress_world()
    officer = user(world.world.officer_id)
    with pytest.raises(InvalidTransition, match="Only an upheld request"):
        close_redress_request(world.request(), actor=officer, token="x")
    uphold_redress_request(world.request(), actor=user(world.outsider_id), assessment=ASSESSMENT)
    with pytest.raises(NotReady, match="Re-run the ranking"):
        close_redress_request(world.request(), actor=officer, token="x")
    assign_reevaluators(world.request(), actor=officer)
    evaluate(world.proposal(), world.world, value="4", approver=officer)
    rerun_after_review(world.request(), actor=officer)
    with pytest.raises(StalePreview):
        close_redress_request(world.request(), actor=officer, token="0" * 64)
    with pytest.raises(NotAllowed):
        close_redress_request(world.request(), actor=user(world.world.applicant_id), token="x")
    preview = review_preview(world.request())
    assert preview is not None
    close_redress_request(world.request(), actor=officer, token=preview.token)
    with pytest.raises(InvalidTransition, match="already closed"):
        close_redress_request(world.request(), actor=officer, token=preview.token)
    assert review_preview(world.request()) is None


def test_a_rejected_request_is_not_closed_again() -> None:
    world = make_redress_world()
    reject_redress_request(world.request(), actor=user(world.outsider_id), assessment=ASSESSMENT)
    with pytest.raises(InvalidTransition, match="Only an upheld request"):
        close_redress_request(world.request(), actor=user(world.world.officer_id), token="x")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter).where(
        Letter.kind == LetterKind.REDRESS_REPLY)) == 1


def test_the_run_applying_the_outcome_writes_the_award_letter_to_the_reviewed_proposal_only() -> None:
    from tests.letter_worlds import generate

    world = reevaluated("4")
    request = _close(world)
    run = db.session.get(SelectionRun, request.outcome_run_id)
    assert run is not None
    batch = generate(run, user(world.world.officer_id))
    letters = db.session.scalars(sa.select(Letter).where(Letter.run_id == run.id)).all()
    assert [letter.proposal_id for letter in letters] == [world.proposal_id]
    assert batch.id is not None
    [award] = letters
    assert award.kind is LetterKind.AWARD
    text = letter_text(award)
    assert "After an upheld evaluation review it was evaluated again by new experts" in text
