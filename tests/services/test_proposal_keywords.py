"""A proposal's keywords: typed by the applicant, frozen with the submitted version, and matched on."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.inputs import ProposalChanges
from app.models import Assignment, PoolMember, Proposal
from app.queries.assignment import proposal_text
from app.queries.receipts import proposal_content
from app.queries.submitted import submitted_version
from app.services import assignment as assigning
from tests.evaluation_support import active_assignments_of, pool_call, user


def test_keywords_are_read_from_commas_semicolons_or_lines_and_kept_once() -> None:
    changes = ProposalChanges.parse({"keywords": "Battery recycling, circular economy;battery  RECYCLING\n\n"})
    assert changes.keywords == ("Battery recycling", "circular economy")
    assert changes.columns() == {"keywords": ["Battery recycling", "circular economy"]}
    assert ProposalChanges.parse({"keywords": ", ".join(f"k{i}" for i in range(10))}).problems == {}
    for wrong in (", ".join(f"k{i}" for i in range(11)), "x" * 41):
        assert ProposalChanges.parse({"keywords": wrong}).problems == {
            "keywords": "At most 10 keywords of 40 characters each."}


@pytest.mark.usefixtures("app_ctx")
def test_keywords_are_frozen_with_the_submitted_version_only_when_given() -> None:
    pool = pool_call(1, 1, k=1)
    proposal = db.session.get(Proposal, pool.world.proposal_ids[0])
    assert "keywords" not in proposal_content(proposal)  # the snapshots of proposals without keywords are unchanged
    proposal.keywords = ["graphene", "supercapacitors"]
    assert proposal_content(proposal)["keywords"] == ["graphene", "supercapacitors"]
    version = submitted_version(proposal)
    assert version.keywords == ("graphene", "supercapacitors")
    assert "graphene\nsupercapacitors" in proposal_text(version)


@pytest.mark.usefixtures("app_ctx")
def test_the_assignment_matches_on_keywords_and_says_so() -> None:
    # Nothing in the title or abstract links the proposal to anyone: its keyword finds the evaluator who knows it.
    pool = pool_call(1, 3, k=1)
    proposal = db.session.get(Proposal, pool.world.proposal_ids[0])
    proposal.title, proposal.abstract, proposal.keywords = "A project", "It will be done.", ["graphene"]
    members = sorted(db.session.query(PoolMember).all(), key=lambda m: m.id)
    members[0].expertise_statement = "Cheese making and dairy."
    members[1].expertise_keywords = ["graphene"]
    members[2].expertise_statement = "Road transport logistics."
    db.session.flush()
    assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    [assignment] = active_assignments_of(pool.call)
    assert isinstance(assignment, Assignment)
    assert assignment.evaluator_id == members[1].user_id
    assert assignment.shared_terms[0] == "graphene"
