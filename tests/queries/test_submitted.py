"""The submitted version that screening and evaluation read: the last one, from its snapshot."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from app.enums import Role
from app.extensions import db
from app.inputs import ProposalChanges
from app.models import User
from app.queries.submitted import latest_submissions, submitted_version, submitted_versions
from app.services.proposals import save_proposal, submit_proposal
from tests.factories import QueryCounter, make_call, make_open_call, make_proposal, make_ready_proposal


def test_the_last_submitted_version_is_read_from_its_snapshot(app_ctx: None, make_user: Callable[..., User]) -> None:
    user = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT").id)
    proposal = make_ready_proposal(make_open_call(), user, acronym="FIRST")  # type: ignore[arg-type]
    submit_proposal(proposal, actor=user)  # type: ignore[arg-type]
    save_proposal(proposal, actor=user, base_version=proposal.edit_version,  # type: ignore[arg-type]
                  changes=ProposalChanges(acronym="SECOND", duration_months=30))
    submit_proposal(proposal, actor=user)  # type: ignore[arg-type]
    save_proposal(proposal, actor=user, base_version=proposal.edit_version,  # type: ignore[arg-type]
                  changes=ProposalChanges(acronym="DRAFTED-LATER"))
    db.session.commit()
    version = submitted_version(proposal)
    assert (version.version, version.acronym, version.duration_months) == (2, "SECOND", 30)
    assert version.requested_grant == Decimal("900000.00")
    assert version.consortium[0] == ("Baltic Cluster Alliance", "LT")
    assert version.coordinator_country == "LT"
    assert [p.country for p in version.partners] == ["LT", "DE", "FR"]
    assert [a.page_count for a in version.documents] == [2]
    assert submitted_version(proposal, proposal.submissions[0]).acronym == "FIRST"


def test_a_version_without_a_full_snapshot_reads_the_proposals_rows(app_ctx: None,
                                                                    make_user: Callable[..., User]) -> None:
    user = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT").id)
    proposal = make_proposal(make_call(), user, acronym="ROWS")  # type: ignore[arg-type]  # a partial snapshot
    version = submitted_version(proposal)
    assert (version.version, version.acronym, version.organisation_name) == (1, "ROWS", "Baltic Cluster Alliance")
    assert [p.name for p in version.partners] == ["Baltic Cluster Alliance", "Partner A", "Partner B"]


def test_the_latest_version_of_many_proposals_takes_a_fixed_number_of_queries(
        app_ctx: None, make_user: Callable[..., User]) -> None:
    user = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT").id)
    call = make_open_call()
    proposals = [make_ready_proposal(call, user, acronym=f"P{i}") for i in range(4)]  # type: ignore[arg-type]
    for proposal in proposals[:3]:
        submit_proposal(proposal, actor=user)  # type: ignore[arg-type]
    submit_proposal(proposals[0], actor=user)  # type: ignore[arg-type]
    db.session.commit()
    ids = [p.id for p in proposals]
    with QueryCounter() as counter:
        latest = latest_submissions(ids)
    assert counter.count == 1
    assert {pid: s.version for pid, s in latest.items()} == {proposals[0].id: 2, proposals[1].id: 1,
                                                             proposals[2].id: 1}
    assert latest_submissions([]) == {}
    versions = submitted_versions(proposals)
    assert versions[proposals[3].id].version is None  # never submitted: its rows
    assert versions[proposals[0].id].version == 2
