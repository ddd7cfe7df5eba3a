"""The demo's evaluated proposals have real submitted versions: officers open their receipts, page and PDF."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from app.enums import Role
from app.extensions import db
from app.models import Proposal, Submission
from app.queries.calls import get_call
from app.queries.receipts import canonical_json, proposal_content, verify_submission
from app.queries.submitted import submitted_version
from app.seeds.selection_demo import seed_selection_demo

CODE = "SMP-COSME-2021-CLUSTER-01"
SNAPSHOT_KEYS = {"format", "call", "deadline", "extension", "proposal", "version", "submitted_at", "submitted_by"}


def _seed_demo(app: Flask, count: int = 3) -> list[int]:
    with app.app_context():
        call = get_call(CODE)
        assert call is not None
        seed_selection_demo(call, count=count)
        db.session.commit()
        return list(db.session.scalars(sa.select(Proposal.id).where(Proposal.call_id == call.id)
                                       .order_by(Proposal.number)))


def _pdf_text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_officers_open_the_receipts_of_the_demo_proposals(app, seeded, client_as, make_user, token_for) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _seed_demo(app)[0]
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        submission = proposal.submissions[0]  # type: ignore[union-attr]
        receipt, acronym = submission.receipt_number, proposal.acronym  # type: ignore[union-attr]
    officer = client_as(Role.OFFICER)
    page = officer.get(f"/manage/proposals/{proposal_id}/submissions/1")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    assert receipt in page.get_data(as_text=True)
    assert acronym in page.get_data(as_text=True)
    assert "The stored snapshot matches this hash." in page.get_data(as_text=True)
    assert receipt in _pdf_text(officer.get(f"/manage/proposals/{proposal_id}/submissions/1/receipt.pdf"))
    token = token_for(make_user(Role.OFFICER))
    api = app.test_client().get(f"/api/v1/proposals/{proposal_id}/submissions/1/receipt.pdf",
                                headers={"Authorization": f"Bearer {token}"})
    assert receipt in _pdf_text(api)


def test_demo_versions_are_frozen_like_real_submissions(app, seeded) -> None:  # type: ignore[no-untyped-def]
    for proposal_id in _seed_demo(app):
        with app.app_context():
            proposal = db.session.get(Proposal, proposal_id)
            assert proposal is not None
            [submission] = proposal.submissions
            data = json.loads(submission.snapshot)
            assert set(data) == SNAPSHOT_KEYS
            assert data["proposal"] == json.loads(canonical_json(proposal_content(proposal)))
            assert canonical_json(data) == submission.snapshot
            assert verify_submission(submission)
            assert submission.receipt_number == f"EG-{proposal.reference}-v1-{submission.sha256[:8].upper()}"
            assert submitted_version(proposal).requested_grant == proposal.requested_grant


def test_seeding_again_refreezes_the_hand_made_versions_of_earlier_seeds(app, seeded, client_as) -> None:  # type: ignore[no-untyped-def]
    """Databases seeded before the fix hold versions with a partial snapshot; `seed demo` repairs them."""
    proposal_id = _seed_demo(app, count=2)[0]
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal is not None
        current = proposal.submissions[0]
        submitted_at, submitted_by_id = current.submitted_at, current.submitted_by_id
        proposal.submissions.remove(current)
        db.session.flush()
        # What the earlier seed wrote: a few fields, no "proposal" key, a DEMO- receipt number.
        partial = canonical_json({"reference": proposal.reference, "acronym": proposal.acronym})
        proposal.submissions.append(Submission(
            version=1, receipt_number=f"DEMO-{proposal.reference}-1", snapshot=partial,
            sha256=hashlib.sha256(partial.encode()).hexdigest(), submitted_at=submitted_at,
            submitted_by_id=submitted_by_id))
        db.session.commit()
    assert _seed_demo(app, count=2)[0] == proposal_id  # nothing new, the old version refrozen
    with app.app_context():
        [submission] = db.session.get(Proposal, proposal_id).submissions  # type: ignore[union-attr]
        assert submission.receipt_number.startswith("EG-")
        assert submission.submitted_at == submitted_at
        assert "proposal" in json.loads(submission.snapshot)
    officer = client_as(Role.OFFICER)
    assert officer.get(f"/manage/proposals/{proposal_id}/submissions/1").status_code == 200

