"""The ranking as people read it: one row per proposal with what the core decided, a stored run's ranking from its
snapshot, proposals not ready listed after it, in a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.manage.charts import budget_bar, totals_histogram
from app.models import Call, Proposal
from app.queries.ranking import live_ranking, run_ranking
from app.services.selection import run_selection
from tests.factories import QueryCounter, make_call, make_proposal
from tests.selection_worlds import add


def test_ranking_rows_carry_everything_the_page_and_exports_show(call_with_field) -> None:
    call = call_with_field.call
    ranking = live_ranking(call)
    first, second, third, fourth, weak = ranking.entries
    assert (first.rank, first.total, first.status, first.thresholds_passed) == (1, Decimal(14), "selected", True)
    assert first.coordinator == "Baltic Cluster Alliance"
    assert first.country == "LT"
    assert first.strand == "Open"
    assert first.tie_keys == [("relevance", Decimal(5)), ("impact", Decimal(4)), ("quality", Decimal(5))]
    # The budget left after each step of the decisions (no coverage rule here: the steps follow the ranks).
    assert [(e.step, e.budget_left, e.reason_code) for e in ranking.entries[:4]] == [
        (1, Decimal("1300000.00"), "fits"), (2, Decimal("300000.00"), "fits"), (3, Decimal("300000.00"), "budget"),
        (4, Decimal("100000.00"), "fits")]
    assert (third.status, third.reserve_position) == ("reserve", 1)  # 0.9M does not fit the 0.3M left
    assert third.reason_label == "budget"
    assert fourth.status == "selected"  # skip policy: 0.2M fits
    assert (weak.status, weak.thresholds_passed, weak.failed) == ("below_threshold", False, ["relevance 2 < 3"])
    assert (weak.step, weak.budget_left, weak.reason_code) == (None, None, "threshold")
    assert weak.total is None
    assert ranking.selected_total == Decimal("2400000.00")
    assert ranking.remaining == Decimal("100000.00")
    assert ranking.cut_off == Decimal("10.5")


def test_a_run_ranking_reads_the_stored_snapshot_not_todays_scores(call_with_field) -> None:
    call, officer = call_with_field.call, call_with_field.officer
    run = run_selection(call, actor=officer)
    db.session.commit()
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.acronym == "SECOND"))
    proposal.requested_grant = Decimal("5.00")
    ranking = run_ranking(run)
    assert ranking.by_reference[proposal.reference].requested == Decimal("1000000.00")
    assert ranking.run is run
    assert ranking.readiness is None


def test_unready_proposals_are_listed_after_the_ranking(call_with_field, people) -> None:
    call = call_with_field.call
    applicant = people.applicant
    pending = make_proposal(call, applicant, acronym="PENDING")
    ranking = live_ranking(call)
    last = ranking.entries[-1]
    assert (last.reference, last.status, last.rank) == (pending.reference, "not_ready", None)
    assert last.reason == "not ranked: eligibility screening pending"
    assert not ranking.readiness.is_ready


def test_the_live_ranking_loads_in_a_constant_number_of_queries(people) -> None:
    applicant = people.applicant
    call = make_call("SPEED")
    counts, existing = [], 0
    for size in (4, 40):
        for index in range(existing, size):
            add(call, applicant, f"P{index}", ("4", "3.5", "4.5"), strand="Digital")
        existing = size
        db.session.commit()
        db.session.expire_all()
        with QueryCounter() as queries:
            ranking = live_ranking(db.session.get(Call, call.id))
            budget_bar(ranking), totals_histogram(ranking)
        assert len(ranking.entries) == size
        counts.append(queries.count)
    assert counts[0] == counts[1]

