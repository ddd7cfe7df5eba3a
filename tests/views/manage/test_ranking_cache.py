"""Issue 15, item 5: the ranking page keeps its scored ranking between requests (app.queries.ranking_cache), and
never shows a stale one: each kind of change to what the ranking reads shows on the very next page, whoever made it
and however (a service, the ORM, another process writing plain SQL), and the page runs the same statements whether
it scores again or not."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import app.queries.ranking_cache as ranking_cache
from app.clock import utcnow
from app.enums import ProposalStatus, Role
from app.extensions import db
from app.models import CURRENT_CONSENSUS, Call, ConsensusReport, ConsensusScore, Criterion, Partner, Proposal
from app.services.screening import decide_eligibility
from tests.factories import QueryCounter, make_approved_consensus, make_call, make_proposal

CODE = "FRESH"
# Two awards of 1M within 2M, a reserve of one: A and B selected, C first reserve, D not funded.
FIELD = [("ALPHA", "5"), ("BRAVO", "4.5"), ("CHARLIE", "4"), ("DELTA", "3.5")]


def ref(number: int) -> str:
    return f"{CODE}-{number:04d}"


@pytest.fixture
def applicant(make_user):
    return make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")


def _field(app, applicant, **call_fields) -> str:
    with app.app_context():
        creator = db.session.merge(applicant)
        call = make_call(CODE, budget=Decimal("2000000.00"), max_awards=2, reserve_size=1, **call_fields)
        for acronym, score in FIELD:
            proposal = make_proposal(call, creator, acronym=acronym)
            make_approved_consensus(proposal, dict.fromkeys(("relevance", "quality", "impact"), score))
        db.session.commit()
    return CODE


@pytest.fixture
def field(app, applicant):
    return _field(app, applicant)


@pytest.fixture
def officer(client_as):
    return client_as(Role.OFFICER)


@pytest.fixture
def scorings(monkeypatch):
    """How many times the page scored the call (rather than showing the ranking it kept)."""
    calls = []
    score = ranking_cache.live_ranking

    def counted(*args, **kwargs):
        calls.append(args[0].code)
        return score(*args, **kwargs)

    monkeypatch.setattr(ranking_cache, "live_ranking", counted)
    return calls


def page(officer, query: str = "") -> str:
    response = officer.get(f"/manage/calls/{CODE}/ranking{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def statuses(html: str) -> dict[str, str]:
    return {reference: status for status, reference in re.findall(r'<tr class="row-([a-z_]+)" id="p-([^"]+)">', html)}


def row(html: str, reference: str) -> str:
    start = html.index(f'id="p-{reference}"')
    return html[start:html.index("</tr>", start)]


BEFORE = {ref(1): "selected", ref(2): "selected", ref(3): "reserve", ref(4): "not_funded"}


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)  # a token tells the second it was made in


def kept(officer, scorings) -> None:
    """The page as it stands, twice: the second is the kept ranking (not scored again), the same."""
    first = _without_tokens(page(officer))
    count = len(scorings)
    assert _without_tokens(page(officer)) == first
    assert len(scorings) == count, "the second page scored the call again"


def test_a_page_shows_the_kept_ranking_while_nothing_changes(field, officer, scorings) -> None:
    assert statuses(page(officer)) == BEFORE
    assert scorings == [CODE]
    kept(officer, scorings)
    assert scorings == [CODE]
    page(officer, "?reserve=0")  # other options: scored for themselves, beside the call's
    page(officer, "?outcome=selected&page=1")  # another window of the same ranking: nothing to score
    assert scorings == [CODE, CODE]
    assert statuses(page(officer)) == BEFORE
    assert scorings == [CODE, CODE]


def test_scoring_again_or_not_runs_the_same_statements(app, field, officer, scorings) -> None:
    with app.app_context():
        ranking_cache.ranking_cache().clear()
    with app.app_context(), QueryCounter() as scored:
        page(officer)
    with app.app_context(), QueryCounter() as kept_page:
        page(officer)
    assert scorings == [CODE]  # the first scored, the second kept
    assert kept_page.count == scored.count


def test_a_changed_consensus_score_shows_at_once(app, field, officer, scorings) -> None:
    kept(officer, scorings)
    with app.app_context():
        score = db.session.scalar(
            sa.select(ConsensusScore).join(ConsensusReport).join(Proposal).where(Proposal.reference == ref(4))
            .join(Criterion).where(Criterion.key == "relevance"))
        score.score = Decimal("5")
        db.session.commit()
    after = statuses(page(officer))
    assert after[ref(4)] == "reserve"
    assert after[ref(3)] == "not_funded"


def test_a_screening_decision_shows_at_once(app, field, officer, scorings, make_user) -> None:
    kept(officer, scorings)
    screener = make_user(Role.OFFICER)
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == ref(2)))
        decide_eligibility(proposal, actor=db.session.merge(screener), eligible=False,
                           reason="The coordinator is not established in an eligible country.")
        db.session.commit()
    after = statuses(page(officer))
    assert after[ref(2)] == "ineligible"
    assert after[ref(3)] == "selected"


def test_a_superseded_consensus_and_the_one_that_replaces_it_show_at_once(app, field, officer, scorings) -> None:
    kept(officer, scorings)
    with app.app_context():  # an upheld evaluation review supersedes the consensus (app.services.redress)
        report = db.session.scalar(
            sa.select(ConsensusReport).join(Proposal).where(Proposal.reference == ref(1), CURRENT_CONSENSUS))
        report.superseded_at = utcnow()
        db.session.commit()
    html = page(officer)
    assert statuses(html)[ref(1)] == "not_ready"
    assert "no approved consensus report yet" in row(html, ref(1))
    kept(officer, scorings)
    with app.app_context():  # the new panel's consensus, approved
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == ref(1)))
        make_approved_consensus(proposal, {"relevance": "4", "quality": "4", "impact": "3.5"})
        db.session.commit()
    after = statuses(page(officer))
    assert after[ref(1)] == "reserve"
    assert after[ref(3)] == "selected"


def test_a_withdrawn_proposal_leaves_the_page_at_once(app, field, officer, scorings) -> None:
    kept(officer, scorings)
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == ref(1)))
        proposal.status = ProposalStatus.WITHDRAWN
        proposal.withdrawn_at = utcnow()
        db.session.commit()
    after = statuses(page(officer))
    assert ref(1) not in after
    assert after[ref(3)] == "selected"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda call: setattr(call, "max_awards", 1), {ref(2): "reserve", ref(3): "not_funded"}),
    (lambda call: setattr(call, "budget", Decimal("1000000.00")), {ref(2): "reserve", ref(3): "not_funded"}),
    (lambda call: setattr(call, "reserve_size", 2), {ref(3): "reserve", ref(4): "reserve"}),
    (lambda call: setattr(call.criteria[0], "threshold", Decimal("4.5")),
     {ref(3): "below_threshold", ref(4): "below_threshold"}),
], ids=["award cap", "budget", "reserve size", "threshold"])
def test_changed_call_settings_show_at_once(app, field, officer, scorings, change, expected) -> None:
    kept(officer, scorings)
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        change(call)
        db.session.commit()
    after = statuses(page(officer))
    assert {reference: after[reference] for reference in expected} == expected


def test_a_changed_weight_shows_in_the_totals_at_once(app, field, officer, scorings) -> None:
    assert '<strong>15</strong>' in row(page(officer), ref(1))
    kept(officer, scorings)
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        call.criteria[0].weight = Decimal("2")
        db.session.commit()
    assert '<strong>20</strong>' in row(page(officer), ref(1))


def test_a_changed_acronym_and_coordinator_show_at_once(app, field, officer, scorings) -> None:
    kept(officer, scorings)
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == ref(2)))
        proposal.acronym = "BRAVISSIMO"
        coordinator = db.session.scalar(sa.select(Partner).where(Partner.proposal_id == proposal.id,
                                                                 Partner.is_coordinator.is_(True)))
        coordinator.name, coordinator.country = "Nordic Cluster Network", "FI"
        db.session.commit()
    shown = row(page(officer), ref(2))
    assert "BRAVISSIMO" in shown
    assert "Nordic Cluster Network" in shown
    assert "(FI)" in shown


def test_the_deadline_passing_shows_at_once(app, applicant, officer, scorings, frozen_clock) -> None:
    _field(app, applicant, deadline=frozen_clock.now() + timedelta(hours=1),
           published_at=frozen_clock.now() - timedelta(days=30))
    assert "the call is still open" in page(officer)
    kept(officer, scorings)
    frozen_clock.move(hours=1)
    assert "the call is still open" not in page(officer)


def test_a_change_written_by_another_process_shows_at_once(app, database_url, field, officer, scorings) -> None:
    """Another worker or machine, or anyone with SQL: nothing in this process hears of the change."""
    kept(officer, scorings)
    other = sa.create_engine(database_url)
    try:
        with other.begin() as connection:
            connection.execute(sa.text(
                "UPDATE consensus_scores SET score = 5 WHERE report_id = "
                "(SELECT consensus_reports.id FROM consensus_reports JOIN proposals "
                "ON consensus_reports.proposal_id = proposals.id WHERE proposals.reference = :reference)"),
                {"reference": ref(4)})
            connection.execute(sa.text("UPDATE proposals SET acronym = 'RENAMED' WHERE reference = :reference"),
                               {"reference": ref(3)})
    finally:
        other.dispose()
    html = page(officer)
    assert statuses(html)[ref(4)] == "selected"
    assert statuses(html)[ref(2)] == "reserve"
    assert "RENAMED" in row(html, ref(3))
    kept(officer, scorings)
