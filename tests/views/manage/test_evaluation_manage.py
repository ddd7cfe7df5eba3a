"""The officer's evaluation pages: screening, pool, assignments, consensus approval, the dashboard."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import AssignmentState, ConflictDeclaration, Eligibility, ReportStatus, Role
from app.extensions import db
from app.models import Assignment, AuditEvent, Call, ConsensusReport, PoolMember, Proposal
from tests.factories import (
    QueryCounter,
    make_evaluation_setup,
    make_pool_member,
    make_report,
    make_staff,
)

LONG = "This comment is long enough to justify the score given."


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def officer_for(app, login):  # type: ignore[no-untyped-def]
    return lambda s: login(app.test_client(), SimpleNamespace(email=s.officer_email))


def _setup(app, **kwargs: Any) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    with app.app_context():
        s = make_evaluation_setup(**kwargs)
        db.session.commit()
        return s


PAGES = ["/manage/calls/{code}/evaluation", "/manage/calls/{code}/screening", "/manage/calls/{code}/evaluators",
         "/manage/calls/{code}/assignments", "/manage/calls/{code}/screening/{p}",
         "/manage/calls/{code}/assignments/{p}", "/manage/calls/{code}/evaluation/{p}"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_for_officers(app, client_as, officer_for, page) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=1)
    url = page.format(code=s.code, p=s.proposal_ids[0])
    assert app.test_client().get(url).status_code == 302  # (pytest-flask's `client` keeps its context: not here)
    assert client_as(Role.EVALUATOR).get(url).status_code == 403
    assert client_as(Role.APPLICANT).get(url).status_code == 403
    assert officer_for(s).get(url).status_code == 200
    assert client_as(Role.ADMIN).get(url).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_unknown_call_or_proposal_is_404(app, officer_for, page) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=1)
    other = _setup(app, code="OTHER", proposals=1)
    assert officer_for(s).get(page.format(code="NOPE", p=s.proposal_ids[0])).status_code == 404
    if "{p}" in page:
        assert officer_for(s).get(page.format(code=s.code, p=other.proposal_ids[0])).status_code == 404


def test_the_call_hub_links_to_evaluation(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=1)
    assert f"/manage/calls/{s.code}/evaluation" in _text(officer_for(s).get(f"/manage/calls/{s.code}"))


# --- screening ------------------------------------------------------------------------------------------------------

def test_screening_lists_checks_and_records_a_decision(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=2, publish=False)
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

    s = _setup(app, proposals=1, publish=False)
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


# --- the pool -------------------------------------------------------------------------------------------------------

def test_inviting_an_evaluator(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=1, evaluators=1, publish=False)
    with app.app_context():
        make_staff(Role.EVALUATOR, "new.expert@x.test", organisation="Fraunhofer", country="DE", name="New Expert")
        db.session.commit()
    client = officer_for(s)
    url = f"/manage/calls/{s.code}/evaluators"
    assert "new.expert@x.test" in _text(client.get(url))
    response = client.post(url, data={"email": "new.expert@x.test", "expertise": ["Health", "Digital"],
                                      "max_load": "6", "country": ""})
    assert response.status_code == 302
    page = _text(client.get(url))
    assert "New Expert" in page
    assert "Fraunhofer" in page
    assert "Health, Digital" in page
    assert "invited" in page
    again = client.post(url, data={"email": "new.expert@x.test", "max_load": "6"})
    assert again.status_code == 422
    assert "already in the pool" in _text(again)
    nobody = client.post(url, data={"email": s.applicant_email, "max_load": "6"})
    assert "no evaluator account" in _text(nobody)


def test_editing_and_withdrawing_a_pool_member_replaces_them(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=2, evaluators=4)
    client = officer_for(s)
    member_url = f"/manage/calls/{s.code}/evaluators/{s.member_ids[1]}"  # evaluator 2 has two proposals
    assert client.post(member_url, data={"max_load": "1", "expertise": ["Open"]}).status_code == 422
    assert client.post(member_url, data={"max_load": "5", "expertise": ["Open"]}).status_code == 302
    response = client.post(f"{member_url}/withdraw", data={"reason": "Conflict with many proposals"})
    assert response.status_code == 302
    with app.app_context():
        active = db.session.scalars(sa.select(Assignment).where(Assignment.state != AssignmentState.WITHDRAWN)).all()
        assert s.evaluator_ids[1] not in {a.evaluator_id for a in active}
        assert sum(1 for a in active if a.state is AssignmentState.PROPOSED) == 2  # the two replacements
        assert len(active) == 6


# --- assignments ------------------------------------------------------------------------------------------------------

def test_compute_then_publish(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=3, evaluators=4, publish=False)
    with app.app_context():
        db.session.get(Call, s.call_id).evaluation_deadline = None
        db.session.commit()
    client = officer_for(s)
    response = client.post(f"/manage/calls/{s.code}/assignments/auto", data={})
    assert response.status_code == 302
    page = _text(client.get(f"/manage/calls/{s.code}/assignments"))
    assert "<strong>9</strong> proposed assignments" in page
    response = client.post(f"/manage/calls/{s.code}/assignments/publish", data={"evaluation_deadline": ""})
    assert response.status_code == 422
    response = client.post(f"/manage/calls/{s.code}/assignments/publish",
                           data={"evaluation_deadline": "2099-03-01T17:00"})
    assert response.status_code == 302
    with app.app_context():
        states = {a.state for a in db.session.scalars(sa.select(Assignment))}
        assert states == {AssignmentState.PUBLISHED}
        deadline = db.session.get(Call, s.call_id).evaluation_deadline
        assert deadline.isoformat() == "2099-03-01T16:00:00+00:00"  # 17:00 Brussels


def test_an_infeasible_assignment_is_explained_and_changes_nothing(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=2, evaluators=3, publish=False)
    with app.app_context():
        db.session.get(PoolMember, s.member_ids[0]).max_load = 1
        db.session.commit()
    response = officer_for(s).post(f"/manage/calls/{s.code}/assignments/auto", data={})
    assert response.status_code == 409
    page = _text(response)
    assert "No valid assignment exists" in page
    assert s.references[0] in page
    assert s.references[1] in page
    assert "Nothing was changed" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_adjusting_one_proposal_by_hand(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=1, evaluators=4, declared=False)
    with app.app_context():
        conflicted = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner A", country="IE",
                                name="Conflicted Expert")
        make_pool_member(db.session.get(Call, s.call_id), conflicted)
        db.session.commit()
        conflicted_id = conflicted.id
    client = officer_for(s)
    pid = s.proposal_ids[0]
    url = f"/manage/calls/{s.code}/assignments/{pid}"
    page = _text(client.get(url))
    assert "their organisation (Partner A) is in the consortium" in page
    assert 'value="' + str(conflicted_id) + '"' not in page  # never offered
    response = client.post(f"{url}/add", data={"evaluator": str(conflicted_id)})
    assert response.status_code == 422
    assert "conflict of interest" in _text(response)
    second = s.assignments[(pid, s.evaluator_ids[1])]
    response = client.post(f"/manage/calls/{s.code}/assignment/{second}/rapporteur", data={})
    assert response.status_code == 302
    response = client.post(f"/manage/calls/{s.code}/assignment/{second}/replace", data={"reason": "Unavailable"})
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(sa.select(Assignment).where(Assignment.proposal_id == pid)).all()
        by_evaluator = {a.evaluator_id: a for a in rows}
        assert by_evaluator[s.evaluator_ids[1]].state is AssignmentState.WITHDRAWN
        assert by_evaluator[s.evaluator_ids[3]].state is AssignmentState.PROPOSED
        assert sum(a.is_rapporteur for a in rows) == 1


def test_waiving_a_declared_conflict(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = _setup(app, proposals=1, evaluators=3)
    aid = s.assignments[(s.proposal_ids[0], s.evaluator_ids[2])]
    with app.app_context():
        assignment = db.session.get(Assignment, aid)
        assignment.conflict = ConflictDeclaration.CONFLICT
        assignment.conflict_note = "My former employer is partner B."
        db.session.commit()
    client = officer_for(s)
    page = _text(client.get(f"/manage/calls/{s.code}/assignments/{s.proposal_ids[0]}"))
    assert "My former employer is partner B." in page
    assert client.post(f"/manage/calls/{s.code}/assignment/{aid}/waive", data={"reason": "no"}).status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, aid).conflict_waived_reason is None
    client.post(f"/manage/calls/{s.code}/assignment/{aid}/waive",
                data={"reason": "The employment ended ten years ago."})
    with app.app_context():
        assert db.session.get(Assignment, aid).conflict_waived_reason == "The employment ended ten years ago."


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
    s = _setup(app, proposals=1)
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
    s = _setup(app, proposals=3)
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
        s = _setup(app, code=code, proposals=n, evaluators=4)
        client = officer_for(s)
        client.get(f"/manage/calls/{code}/evaluation")  # warm up
        with app.app_context(), QueryCounter() as counter:
            response = client.get(f"/manage/calls/{code}/evaluation")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_assignments_page_queries_do_not_grow(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for code, n in (("ASG-S", 2), ("ASG-L", 20)):
        s = _setup(app, code=code, proposals=n, evaluators=4)
        client = officer_for(s)
        with app.app_context(), QueryCounter() as counter:
            response = client.get(f"/manage/calls/{code}/assignments")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_dashboard_sorts_and_pages_on_the_server(app, officer_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import app.manage.evaluation as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    s = _setup(app, proposals=5)
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
