"""The officer's evaluation dashboard: progress counts, filters, readiness to rank, a constant number of queries."""

from __future__ import annotations

import pytest

from app.enums import Eligibility
from app.extensions import db
from app.models import Call, Proposal
from app.queries.evaluation_progress import call_progress, filter_proposals
from tests.evaluation_support import ready_to_rank, submit_ier
from tests.factories import QueryCounter, make_evaluation_setup

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_ready_to_rank_lists_pending_screening() -> None:
    s = make_evaluation_setup(proposals=2, publish=False)
    db.session.get(Proposal, s.proposal_ids[0]).eligibility = Eligibility.PENDING
    db.session.get(Proposal, s.proposal_ids[1]).eligibility = Eligibility.INELIGIBLE
    ready, reasons = ready_to_rank(db.session.get(Call, s.call_id))
    assert not ready
    assert reasons == [f"1 proposal awaits screening: {s.references[0]}."]


def test_dashboard_progress_counts() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)
    pid = s.proposal_ids[0]
    submit_ier(s.assignments[(pid, s.evaluator_ids[0])])
    call = db.session.get(Call, s.call_id)
    progress = call_progress(call)
    first, second = progress.proposals
    assert (first.published, first.submitted, first.consensus) == (3, 1, "none")
    assert first.overdue == 2  # the evaluation deadline (2022) has passed
    assert first.rapporteur == "Evaluator 1"
    loads = {e.email: (e.load, e.submitted) for e in progress.evaluators}
    assert loads[s.evaluator_emails[0]] == (2, 1)
    assert progress.counts["reports_submitted"] == 1
    assert progress.counts["reports_expected"] == 6
    assert not progress.ready
    assert [p.reference for p in filter_proposals(progress, status="overdue")] == s.references
    assert filter_proposals(progress, text="acr2")[0].reference == second.reference
    assert filter_proposals(progress, consensus="approved") == []


def test_dashboard_queries_do_not_grow_with_the_number_of_proposals() -> None:
    small = make_evaluation_setup(code="SMALL", proposals=2, evaluators=3)
    large = make_evaluation_setup(code="LARGE", proposals=25, evaluators=6)
    db.session.commit()
    db.session.expire_all()
    counts = []
    for setup in (small, large):
        call = db.session.get(Call, setup.call_id)
        with QueryCounter() as queries:
            progress = call_progress(call)
        assert len(progress.proposals) in (2, 25)
        counts.append(queries.count)
    assert counts[0] == counts[1] <= 5
