"""A real browser walks the evaluator's journey: accept the code of conduct, declare no conflict, score, save,
submit (the other reports appear only then), draft and submit the consensus as rapporteur; then the officer
approves it and the call is ready to rank. Screenshots are kept as test artifacts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.enums import ConflictDeclaration, ReportStatus
from app.extensions import db
from app.models import Assignment, ConsensusReport, IndividualReport, PoolMember
from tests.conftest import ARTIFACTS
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_evaluation_setup, make_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMENT = "Clear objectives and a credible plan; the partnership covers the value chain."


@pytest.fixture
def journey(app) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """One eligible proposal; evaluator 1 (rapporteur) is new to the call, evaluators 2 and 3 are done."""
    with app.app_context():
        s = make_evaluation_setup(code="JOURNEY-CALL", proposals=1, evaluators=3, declared=False)
        db.session.get(PoolMember, s.member_ids[0]).code_of_conduct_accepted_at = None
        pid = s.proposal_ids[0]
        for index, scores in ((1, ("4", "3.5", "4")), (2, ("2", "4", "3.5"))):
            assignment = db.session.get(Assignment, s.assignments[(pid, s.evaluator_ids[index])])
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
            make_report(assignment, dict(zip(("relevance", "quality", "impact"), scores, strict=True)),
                        comment=f"Evaluator {index + 1}: a comment that justifies the score in detail.")
        db.session.commit()
        return s




def _fill_scores(page, scores: tuple[str, str, str], comment: str) -> None:  # type: ignore[no-untyped-def]
    for key, score in zip(("relevance", "quality", "impact"), scores, strict=True):
        page.select_option(f"select[name=score_{key}]", score)
        page.fill(f"textarea[name=comment_{key}]", f"{key.capitalize()}: {comment}")
    page.fill("textarea[name=overall_comment]", f"Overall: {comment}")


def test_evaluator_journey_to_an_approved_consensus(app, page, auditor, live_server_url, journey) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server_url
    dialogs: list[str] = []

    def answer(dialog) -> None:  # type: ignore[no-untyped-def]  # "Submit and lock your report?"
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)

    # 1. The invitation: nothing of the call is shown before the code of conduct is accepted.
    browser_log_in(page, base, app, journey.evaluator_emails[0])
    page.goto(f"{base}/review/")
    assert page.locator("text=You have no evaluation assignments").is_visible()
    page.click("text=Read and accept the code of conduct")
    page.wait_for_url("**/code-of-conduct")
    page.check("input[name=accept]")
    page.click("input[type=submit][value='Accept and continue']")
    page.wait_for_url(f"{base}/review/")

    # 2. The declaration: only acronym, title and consortium until "no conflict".
    row = page.locator("#evaluations tbody tr", has_text=journey.references[0])
    assert "Declare conflicts" in row.inner_text()
    row.locator("a", has_text="Declare").click()
    assert page.locator("text=Partner A").first.is_visible()
    assert page.locator("text=An abstract.").count() == 0
    page.screenshot(path=str(ARTIFACTS / "evaluation-declaration.png"), full_page=True)
    page.check("input[name=declaration][value=no_conflict]")
    page.click("input[type=submit][value='Confirm my declaration']")
    page.wait_for_selector("text=Declaration recorded")
    assert page.locator("text=An abstract.").is_visible()

    # 3. The individual report: blind until submitted; a draft first, then submit and lock.
    assert page.locator("text=Hidden until you submit your own report").is_visible()
    assert page.locator("text=Evaluator 2: a comment").count() == 0
    # The report is checked in the page before the lock confirmation: an incomplete one asks nothing.
    page.click("input[type=submit][value='Submit and lock my report']")
    problems = page.locator(".js-submit-problems")
    assert problems.is_visible()
    assert problems.locator("li a").count() == 7  # three scores, three comments, the overall comment
    assert page.locator("select[name=score_relevance][aria-invalid=true]").count() == 1
    assert dialogs == []
    auditor.check(page, state="incomplete-report")
    _fill_scores(page, ("4.5", "4", "3.5"), COMMENT)
    assert "characters" in page.locator("#comment_relevance ~ .char-count").inner_text()
    page.click("input[type=submit][value='Save draft']")
    page.wait_for_selector("text=Draft saved.")
    assert page.locator("select[name=score_relevance]").input_value() == "4.5"
    page.click("input[type=submit][value='Submit and lock my report']")
    page.wait_for_selector("text=Your report is submitted and locked")
    assert dialogs == ["Submit and lock your report? You cannot change it afterwards."]
    assert page.locator("text=Evaluator 2: a comment").first.is_visible()
    assert page.locator("table.spread-table tr.divergent").count() >= 1  # relevance: 2 vs 4.5
    page.screenshot(path=str(ARTIFACTS / "evaluation-report-submitted.png"), full_page=True)

    # 4. The rapporteur's consensus, beside the spread of the three reports.
    page.click("a.button:has-text('Draft the consensus')")
    page.wait_for_url("**/consensus")
    assert page.locator("text=mean 3.50").first.is_visible()
    _fill_scores(page, ("4", "4", "3.5"), "Agreed in the consensus meeting: " + COMMENT)
    page.click("input[type=submit][value='Submit to the programme officer']")
    page.wait_for_selector("text=submitted to the programme officer for approval")
    page.screenshot(path=str(ARTIFACTS / "evaluation-consensus.png"), full_page=True)

    # 5. The officer approves; the call is ready to rank.
    browser_log_in(page, base, app, journey.officer_email)
    page.goto(f"{base}/manage/calls/{journey.code}")
    page.click("a.stage:has-text('Evaluation')")
    page.wait_for_url(f"**/manage/calls/{journey.code}/evaluation")
    assert page.locator("h2", has_text="Not ready to rank yet").is_visible()
    page.click(f"tr:has-text('{journey.references[0]}') a:has-text('reports')")
    page.click("button:has-text('Approve the consensus')")
    page.wait_for_selector("text=its scores are ready for ranking")
    page.goto(f"{base}/manage/calls/{journey.code}/evaluation")
    assert page.locator("h2", has_text="Ready to rank").is_visible()
    page.screenshot(path=str(ARTIFACTS / "evaluation-dashboard.png"), full_page=True)

    with app.app_context():
        reports = db.session.scalars(sa.select(IndividualReport)).all()
        assert {r.status for r in reports} == {ReportStatus.SUBMITTED}
        consensus = db.session.scalar(sa.select(ConsensusReport))
        assert consensus.status is ReportStatus.APPROVED
        assert {s.criterion.key: str(s.score) for s in consensus.scores} == {
            "relevance": "4.0", "quality": "4.0", "impact": "3.5"}
