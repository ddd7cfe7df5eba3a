"""Issue 15, item 4: the demo tells the truth. `seed demo` evaluates its field through the app's own services, so
every count, checklist, report, consensus and letter agrees with the data. One test per "Observed" demo item.

The demo is seeded once for the module, into a database of its own (the suite's `app` empties its tables after
each test), and read by every test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.enums import AssignmentState, Eligibility, ReportStatus
from app.extensions import db
from app.letter_files import render_letter
from app.models import Assignment, Call, ConsensusReport, IndividualReport, Proposal, User
from app.queries.evaluation_progress import call_progress
from app.queries.outcomes import run_outcomes
from app.queries.screening import screening_rows
from app.seeds.accounts_demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from app.seeds.evaluation_demo import COMMENTS, OVERALL, demo_officer, level
from app.services.selection import run_selection
from tests.conftest import make_config
from tests.letter_worlds import flat, pdf_text

EVALUATED = ("SMP-COSME-2021-CLUSTER-01", "EUID-2022-SESSIONS")
IN_EVALUATION = "SMP-COSME-2021-CLUSTER-01-EVALUATION"
EVALUATORS = [email for email, _name, roles, *_ in DEMO_ACCOUNTS if "evaluator" in email]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder: Path = tmp_path_factory.mktemp("demo")
    app = create_app(make_config(f"sqlite:///{folder}/demo.sqlite", folder / "storage"))
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _call(code: str) -> Call:
    call = db.session.scalar(sa.select(Call).where(Call.code == code))
    assert call is not None
    return call


def _consensus(proposal: Proposal) -> ConsensusReport | None:
    return db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id))


def _reports(proposal: Proposal) -> list[IndividualReport]:
    return list(db.session.scalars(
        sa.select(IndividualReport).join(Assignment, Assignment.id == IndividualReport.assignment_id)
        .where(Assignment.proposal_id == proposal.id, Assignment.state == AssignmentState.PUBLISHED,
               IndividualReport.status == ReportStatus.SUBMITTED)))


@pytest.mark.parametrize("code", EVALUATED)
def test_no_eligible_demo_proposal_fails_a_check_of_its_screening(demo: Flask, code: str) -> None:
    """Observed: 62 of 64 "eligible" while every screening row showed "1 fail: Part B is uploaded"."""
    with demo.app_context():
        call = _call(code)
        rows = screening_rows(call)
        assert len(rows) == (64 if code.startswith("SMP") else 30)
        for row in rows:
            assert row.proposal.eligibility is not Eligibility.PENDING
            if row.proposal.eligibility is Eligibility.ELIGIBLE:
                assert row.checklist.ok, (row.proposal.reference, row.checklist.failures)
            else:
                assert not row.checklist.ok
        assert sum(row.proposal.eligibility is Eligibility.INELIGIBLE for row in rows) == 2


@pytest.mark.parametrize("code", EVALUATED)
def test_ineligible_demo_proposals_give_the_checks_their_own_checklist_fails_and_their_letters_quote_them(
        demo: Flask, code: str) -> None:
    """Observed: the two ineligible ones carried "minimum number of countries" though their checklist passed it,
    and their letters quoted that."""
    with demo.app_context():
        call = _call(code)
        officer = demo_officer()
        ineligible = [row for row in screening_rows(call) if row.proposal.eligibility is Eligibility.INELIGIBLE]
        run = run_selection(call, actor=officer)
        outcomes = run_outcomes(run)
        for row in ineligible:
            labels = [check.label for check in row.checklist.failures]
            reasons = (row.proposal.eligibility_reason or "").splitlines()
            assert [reason.split(":")[0] for reason in reasons] == labels
            letter = render_letter(row.proposal, run, outcomes.by_reference()[row.proposal.reference], None,
                                   rules=outcomes.rules)
            text = flat(pdf_text(letter.pdf))
            for label in labels:
                assert label in text
            assert "minimum number of countries" not in text
        db.session.rollback()


@pytest.mark.parametrize("code", EVALUATED)
def test_every_demo_consensus_stands_on_its_evaluators_submitted_reports(demo: Flask, code: str) -> None:
    """Observed: 62 approved consensus scores stood on 0 assignments and 0 reports."""
    with demo.app_context():
        call = _call(code)
        k = call.evaluators_per_proposal
        for proposal in db.session.scalars(sa.select(Proposal).where(Proposal.call_id == call.id)):
            consensus = _consensus(proposal)
            if proposal.eligibility is not Eligibility.ELIGIBLE:
                assert consensus is None
                continue
            reports = _reports(proposal)
            assert consensus is not None
            assert consensus.status is ReportStatus.APPROVED
            assert len(reports) == k, proposal.reference
            assert consensus.rapporteur_id in {report.assignment.evaluator_id for report in reports}
            assert all(report.submitted_at < consensus.submitted_at < consensus.approved_at for report in reports)
            own = {s.criterion_id: s.score for s in consensus.scores}
            for report in reports:
                for score in report.scores:  # the evaluators' scores are within half a point of the consensus
                    assert abs(score.score - own[score.criterion_id]) <= 0.5
                    assert score.comment.endswith(COMMENTS[level(score.score)])
            assert f"Consensus of the {k} evaluators" in consensus.overall_comment


@pytest.mark.parametrize("code", EVALUATED)
def test_the_demo_progress_page_counts_the_rows_there_are(demo: Flask, code: str) -> None:
    """Observed: "REPORTS SUBMITTED 0 of 0" and "Ready to rank" on the progress page."""
    with demo.app_context():
        call = _call(code)
        progress = call_progress(call)
        counts = progress.counts
        submitted = db.session.scalar(
            sa.select(sa.func.count()).select_from(IndividualReport)
            .join(Assignment, Assignment.id == IndividualReport.assignment_id)
            .where(Assignment.call_id == call.id, IndividualReport.status == ReportStatus.SUBMITTED))
        published = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(
            Assignment.call_id == call.id, Assignment.state == AssignmentState.PUBLISHED))
        approved = db.session.scalar(
            sa.select(sa.func.count()).select_from(ConsensusReport).join(Proposal)
            .where(Proposal.call_id == call.id, ConsensusReport.status == ReportStatus.APPROVED))
        eligible = counts["eligible"]
        assert counts["reports_submitted"] == submitted == counts["reports_expected"] == published == 3 * eligible
        assert counts["consensus_approved"] == approved == eligible
        assert progress.ready


def test_the_demo_letters_say_what_the_consensus_said(demo: Flask) -> None:
    """Observed: every letter said "Consensus reached by the three evaluators", whatever happened."""
    with demo.app_context():
        call = _call(EVALUATED[0])
        run = run_selection(call, actor=demo_officer())
        outcomes = run_outcomes(run)
        by_status: dict[str, Proposal] = {}
        for proposal in db.session.scalars(sa.select(Proposal).where(Proposal.call_id == call.id)
                                           .order_by(Proposal.number)):
            status = outcomes.by_reference()[proposal.reference].status
            by_status.setdefault(status, proposal)
        assert {"selected", "reserve", "below_threshold"} <= set(by_status)
        for status in ("selected", "reserve", "below_threshold"):
            proposal = by_status[status]
            consensus = _consensus(proposal)
            assert consensus is not None
            text = flat(pdf_text(render_letter(proposal, run, outcomes.by_reference()[proposal.reference],
                                               consensus, rules=outcomes.rules).pdf))
            assert "Consensus reached by the three evaluators" not in text
            assert flat(consensus.overall_comment) in text
            assert any(flat(consensus.overall_comment).endswith(OVERALL[words]) for words in OVERALL)
            for score in consensus.scores:
                assert flat(score.comment) in text
        db.session.rollback()


def test_each_demo_evaluator_logs_in_to_reports_to_write_in_the_practice_call(demo: Flask) -> None:
    """Observed: the demo evaluators logged in to "You have no evaluation assignments"."""
    with demo.app_context():
        call = _call(IN_EVALUATION)
        open_by_evaluator = {email: 0 for email in EVALUATORS}
        for assignment in db.session.scalars(sa.select(Assignment).where(Assignment.call_id == call.id)):
            assert assignment.state is AssignmentState.PUBLISHED
            assert assignment.report is None
            open_by_evaluator[assignment.evaluator.email] += 1
        references = {p.id: p.reference for p in db.session.scalars(sa.select(Proposal)
                                                                      .where(Proposal.call_id == call.id))}
        mine = {email: sorted(references[a.proposal_id] for a in db.session.scalars(
            sa.select(Assignment).join(User, User.id == Assignment.evaluator_id)
            .where(Assignment.call_id == call.id, User.email == email))) for email in EVALUATORS}
    assert len(EVALUATORS) == 9
    assert open_by_evaluator == {email: 2 for email in EVALUATORS}
    for email in EVALUATORS:
        client = demo.test_client()
        response = client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        page = client.get("/review/").get_data(as_text=True)
        assert "You have no evaluation assignments" not in page
        for reference in mine[email]:
            assert re.search(re.escape(reference), page), (email, reference)


def test_seed_demo_again_changes_nothing(demo: Flask) -> None:
    def counts() -> tuple[int, ...]:
        with demo.app_context():
            return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
                         for model in (Proposal, Assignment, IndividualReport, ConsensusReport))

    before = counts()
    result = demo.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert counts() == before
