"""The officers' evaluation review pages: the call's queue and report, one request beside its letter, consensus,
individual reports and audit trail, and the committee's decision with its reply letter."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.enums import LetterKind, RedressGround, Role
from app.extensions import db
from app.models import ConsensusReport, Letter, Proposal, RedressRequest, User
from app.queries.letters import verification_code
from app.services.redress import file_redress_request
from tests.factories import QueryCounter, make_letter_scenario

GROUNDS = ("The consensus report was approved before the third individual report had been submitted, against the "
           "call's evaluation procedure.")
ASSESSMENT = ("The record shows the three individual reports submitted before the consensus was approved: the order "
              "the procedure requires was kept.")


def _file(proposal: Proposal, applicant: User, kind: LetterKind) -> RedressRequest:
    reference = f"{proposal.reference}-L1"
    db.session.add(Letter(proposal_id=proposal.id, kind=kind, reference=reference,
                          verification_code=verification_code(reference), sha256="0" * 64,
                          decision_date=utcnow(), published_at=utcnow()))
    ground = RedressGround.ELIGIBILITY_CHECK if kind is LetterKind.INELIGIBLE else RedressGround.EVALUATION_PROCEDURE
    return file_redress_request(proposal, actor=applicant, stage=kind, ground=ground, grounds_text=GROUNDS)


@pytest.fixture
def world(app, make_user) -> dict[str, Any]:
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    approver = make_user(Role.OFFICER, email="approver@redress.test")
    outsider = make_user(Role.OFFICER, email="outsider@redress.test")
    with app.app_context():
        data = make_letter_scenario(db.session.merge(owner))
        proposal = data["proposals"]["reserve"]
        db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id)) \
            .approved_by_id = approver.id
        request = _file(proposal, db.session.merge(owner), LetterKind.RESERVE)
        db.session.commit()
        return {"owner": owner, "approver": approver, "outsider": outsider, "code": data["call"].code,
                "request": request.id, "proposals": {k: p.id for k, p in data["proposals"].items()}}


def test_the_queue_lists_the_request_and_the_call_page_reports_it(app, world, login) -> None:
    client = login(app.test_client(), world["outsider"])
    queue = client.get(f"/manage/calls/{world['code']}/redress").get_data(as_text=True)
    assert "EC2RESE" in queue
    assert "Filed: awaiting the review committee" in queue
    assert "none decided yet" in queue
    overview = client.get(f"/manage/calls/{world['code']}").get_data(as_text=True)
    assert "1 review request awaiting the review committee." in overview


def test_the_request_page_shows_the_file_side_by_side_and_the_outsider_decides(app, world, login) -> None:
    client = login(app.test_client(), world["outsider"])
    url = f"/manage/calls/{world['code']}/redress/{world['request']}"
    page = client.get(url).get_data(as_text=True)
    for part in ("Evaluation summary (consensus)", "Consensus on relevance.", "Individual evaluation reports",
                 "Audit trail of the proposal", "redress.filed", GROUNDS[:40], "Reject: the decision stands"):
        assert part in page, part
    short = client.post(url, data={"assessment": "No failing."})
    assert short.status_code == 422
    decided = client.post(url, data={"assessment": ASSESSMENT})
    assert decided.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Rejected: the decision stands" in page
    with app.app_context():
        reply = db.session.get(RedressRequest, world["request"]).reply_letter
        code, reply_id = reply.verification_code, reply.id
    verified = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Evaluation review reply" in verified
    # The coordinator finds the reply under My letters and reads it.
    applicant = login(app.test_client(), world["owner"])
    assert code in applicant.get("/applicant/letters").get_data(as_text=True)
    assert applicant.get(f"/applicant/letters/{reply_id}.pdf").status_code == 200
    assert "Rejected: the decision stands" in applicant.get("/applicant/").get_data(as_text=True)


def test_an_officer_who_took_part_is_told_so_and_refused(app, world, login) -> None:
    client = login(app.test_client(), world["approver"])
    url = f"/manage/calls/{world['code']}/redress/{world['request']}"
    page = client.get(url).get_data(as_text=True)
    assert "You took part in the evaluation of this proposal" in page
    assert "Reject: the decision stands" not in page
    refused = client.post(url, data={"assessment": ASSESSMENT})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(RedressRequest, world["request"]).decided_at is None


def test_the_queue_loads_in_a_constant_number_of_queries(app, world, login) -> None:
    client = login(app.test_client(), world["outsider"])
    url = f"/manage/calls/{world['code']}/redress"
    counts = []
    for status in ("ineligible", "not_funded"):
        with app.app_context(), QueryCounter() as counter:
            client.get(url)
        counts.append(counter.count)
        with app.app_context():
            owner = db.session.get(User, world["owner"].id)
            proposal = db.session.get(Proposal, world["proposals"][status])
            _file(proposal, owner, LetterKind.INELIGIBLE if status == "ineligible" else LetterKind.REJECTION)
            db.session.commit()
    with app.app_context(), QueryCounter() as counter:
        client.get(url)
    counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2]
