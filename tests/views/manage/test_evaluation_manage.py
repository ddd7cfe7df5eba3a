"""The officer's evaluation pages: who may open them, screening, consensus approval, the dashboard (the pool and
the assignments: test_assignments_manage.py)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Eligibility, ReportStatus, Role
from app.extensions import db
from app.models import Assignment, AuditEvent, Call, ConsensusReport, Proposal
from tests.evaluation_support import committed_world
from tests.factories import (
    QueryCounter,
    make_report,
)

LONG = "This comment is long enough to justify the score given."


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


PAGES = ["/manage/calls/{code}/evaluation", "/manage/calls/{code}/screening", "/manage/calls/{code}/evaluators",
         "/manage/calls/{code}/assignments", "/manage/calls/{code}/screening/{p}",
         "/manage/calls/{code}/assignments/{p}", "/manage/calls/{code}/evaluation/{p}"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_for_officers(app, client_as, officer_for, page) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=1)
    url = page.format(code=s.code, p=s.proposal_ids[0])
    assert app.test_client().get(url).status_code == 302  # (pytest-flask's `client` keeps its context: not here)
    assert client_as(Role.EVALUATOR).get(url).status_code == 403
    assert client_as(Role.APPLICANT).get(url).status_code == 403
    assert officer_for(s).get(url).status_code == 200
    assert client_as(Role.ADMIN).get(url).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_unknown_call_or_proposal_is_404(app, officer_for, page) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=1)
    other = committed_world(app, code="OTHER", proposals=1)
    assert officer_for(s).get(page.format(code="NOPE", p=s.proposal_ids[0])).status_code == 404
    if "{p}" in page:
        assert officer_for(s).get(page.format(code=s.code, p=other.proposal_ids[0])).status_code == 404


def test_the_call_hub_links_to_evaluation(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=1)
    assert f"/manage/calls/{s.code}/evaluation" in _text(officer_for(s).get(f"/manage/calls/{s.code}"))


# --- screening ------------------------------------------------------------------------------------------------------

def test_screening_lists_checks_and_records_a_decision(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=2, publish=False)
    with app.app_context():
        for pid in s.proposal_ids:
            db.session.get(Proposal, pid).eligibility = Eligibility.PENDING
        db.session.commit()
    client = officer_for(s)
    page = _text(client.get(f"/manage/calls/{s.code}/screening"))
    assert s.references[0] in page
    assert "2 fail" in page
    url = f"/manage/calls/{s.code}/screening/{s.proposal_ids[0]}"
    assert "Part B (technical description) is uploaded" in _text(client.get(url))
    response = client.post(url, data={"decision": "ineligible", "reason": "short"})
    assert response.status_code == 422
    response = client.post(url, data={"decision": "ineligible", "reason": "Part B is missing from the submission."})
    assert response.status_code == 302
    with app.app_context():
        proposal = db.session.get(Proposal, s.proposal_ids[0])
        assert proposal.eligibility is Eligibility.INELIGIBLE
        assert proposal.eligibility_reason == "Part B is missing from the submission."
    assert "Part B is missing" in _text(client.get(url))


def test_screening_waits_for_the_deadline(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.clock import set_clock

    s = committed_world(app, proposals=1, publish=False)
    with app.app_context():
        deadline = db.session.get(Call, s.call_id).deadline
    set_clock(lambda: deadline - timedelta(hours=1))
    try:
        client = officer_for(s)
        assert "Screening opens when the deadline passes" in _text(client.get(f"/manage/calls/{s.code}/screening"))
        response = client.post(f"/manage/calls/{s.code}/screening/{s.proposal_ids[0]}",
                                data={"decision": "eligible", "reason": "All checks passed fine."})
        assert response.status_code == 409
        assert "Screening starts when the proposal&#39;s deadline has passed" in _text(response)
    finally:
        set_clock(None)


# --- consensus approval -----------------------------------------------------------------------------------------------

def _submitted_consensus(app, s) -> None:  # type: ignore[no-untyped-def]
    from app.models import ConsensusScore

    with app.app_context():
        pid = s.proposal_ids[0]
        for evaluator_id in s.evaluator_ids:
            make_report(db.session.get(Assignment, s.assignments[(pid, evaluator_id)]),
                        {"relevance": "4", "quality": "3.5", "impact": "4"})
        call = db.session.get(Call, s.call_id)
        report = ConsensusReport(proposal_id=pid, rapporteur_id=s.evaluator_ids[0], status=ReportStatus.SUBMITTED,
                                 overall_comment=LONG)
        for criterion in call.criteria:
            report.scores.append(ConsensusScore(criterion_id=criterion.id, score=4, comment=LONG))
        db.session.add(report)
        db.session.commit()


def test_approve_then_reopen_the_consensus(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=1)
    _submitted_consensus(app, s)
    client = officer_for(s)
    url = f"/manage/calls/{s.code}/evaluation/{s.proposal_ids[0]}"
    page = _text(client.get(url))
    assert "Approve the consensus" in page
    assert "Submitted for approval" in page
    assert client.post(f"{url}/approve", data={}).status_code == 302
    assert "Ready to rank" in _text(client.get(f"/manage/calls/{s.code}/evaluation"))
    assert client.post(f"{url}/reopen", data={"reason": "short"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(ConsensusReport.status)) is ReportStatus.APPROVED
    client.post(f"{url}/reopen", data={"reason": "Panel review found inconsistent scores."})
    with app.app_context():
        assert db.session.scalar(sa.select(ConsensusReport.status)) is ReportStatus.DRAFT
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "consensus.reopened"))
        assert event.data["reason"] == "Panel review found inconsistent scores."
    page = _text(client.get(url))
    assert "Panel review found inconsistent scores." in page
    assert "Not ready to rank yet" in _text(client.get(f"/manage/calls/{s.code}/evaluation"))


# --- the dashboard ----------------------------------------------------------------------------------------------------

def test_dashboard_shows_progress_and_filters(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=3)
    client = officer_for(s)
    url = f"/manage/calls/{s.code}/evaluation"
    page = _text(client.get(url))
    assert all(ref in page for ref in s.references)
    assert "overdue" in page
    assert "Evaluator 1" in page
    filtered = _text(client.get(url, query_string={"q": "ACR2"}))
    assert f"<code>{s.references[1]}</code>" in filtered
    assert f"<code>{s.references[0]}</code>" not in filtered
    none = _text(client.get(url, query_string={"consensus": "approved"}))
    assert "No proposal matches these filters" in none


def test_dashboard_queries_do_not_grow_with_the_number_of_proposals(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for code, n in (("DASH-S", 2), ("DASH-L", 30)):
        s = committed_world(app, code=code, proposals=n, evaluators=4)
        client = officer_for(s)
        client.get(f"/manage/calls/{code}/evaluation")  # warm up
        with app.app_context(), QueryCounter() as counter:
            response = client.get(f"/manage/calls/{code}/evaluation")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_dashboard_sorts_and_pages_on_the_server(app, officer_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import app.manage.evaluation as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    s = committed_world(app, proposals=5)
    client = officer_for(s)
    url = f"/manage/calls/{s.code}/evaluation"
    first = _text(client.get(url))
    assert "page 1 of 3" in first
    assert f"<code>{s.references[0]}</code>" in first
    assert f"<code>{s.references[2]}</code>" not in first
    last = _text(client.get(url, query_string={"sort": "acronym", "dir": "desc", "page": 1}))
    assert f"<code>{s.references[4]}</code>" in last  # ACR5 first
    assert f"<code>{s.references[0]}</code>" not in last
    assert "page 3 of 3" in _text(client.get(url, query_string={"page": 99}))
