"""Screening as pages read it: the submitted proposals and their automatic checks on the submitted version."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Call, Proposal
from app.queries.screening import screening_decisions, screening_rows, selection_finalised
from app.queries.submitted import submitted_version
from app.services import screening
from tests.evaluation_support import complete, user
from tests.factories import make_evaluation_setup, make_proposal

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_screening_shows_the_automatic_checks_of_each_submitted_proposal() -> None:
    s = make_evaluation_setup(proposals=2, publish=False)
    call = db.session.get(Call, s.call_id)
    complete(db.session.get(Proposal, s.proposal_ids[0]), user(s.applicant_id))
    rows = screening_rows(call)
    assert [r.proposal.reference for r in rows] == s.references
    assert rows[0].checklist.ok
    assert not rows[1].checklist.ok
    assert {c.key for c in rows[1].checklist.failures} == {"partner_details", "part_b"}
    assert all(r.ready for r in rows)


def test_withdrawn_and_draft_proposals_are_not_screened() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    call = db.session.get(Call, s.call_id)
    make_proposal(call, user(s.applicant_id), submitted=False)
    assert len(screening_rows(call)) == 1


def test_the_last_submitted_version_counts_not_later_edits() -> None:
    from app.models import Submission
    from app.services.receipts import build_snapshot

    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    snapshot = build_snapshot(proposal, version=2, submitted_at=proposal.call.deadline - timedelta(minutes=5),
                              submitted_by=user(s.applicant_id))
    proposal.submissions.append(Submission(version=2, receipt_number="R-2", snapshot=snapshot, sha256="b" * 64,
                                           submitted_at=proposal.call.deadline - timedelta(minutes=5),
                                           submitted_by_id=s.applicant_id))
    db.session.flush()
    proposal.title = "Changed after submitting"
    proposal.partners[1].name = "Expert Office 1"
    version = submitted_version(proposal)
    assert version.version == 2
    assert version.title == "Proposal 1"
    assert ("Expert Office 1", "DE") not in version.consortium


def test_the_screening_decisions_on_a_proposal_are_listed_latest_first() -> None:
    s = make_evaluation_setup(proposals=2, publish=False)
    first, second = (db.session.get(Proposal, i) for i in s.proposal_ids)
    officer = user(s.officer_id)
    assert screening_decisions(first) == []
    screening.decide_eligibility(first, actor=officer, eligible=False, reason="Part B is missing entirely.")
    screening.decide_eligibility(second, actor=officer, eligible=True, reason="Every check passes.")
    screening.decide_eligibility(first, actor=officer, eligible=True, reason="Part B was found after all.")
    decisions = screening_decisions(first)
    assert [e.data["reason"] for e in decisions] == ["Part B was found after all.", "Part B is missing entirely."]
    assert {e.actor_id for e in decisions} == {officer.id}


def test_a_finalised_selection_is_seen_by_screening() -> None:
    from tests.factories import make_finalised_run

    s = make_evaluation_setup(proposals=1, publish=False)
    call = db.session.get(Call, s.call_id)
    assert not selection_finalised(call)
    make_finalised_run(call, [(db.session.get(Proposal, s.proposal_ids[0]), "selected")])
    assert selection_finalised(call)
