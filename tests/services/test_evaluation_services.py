"""Evaluation services: screening, pool, conflicts, assignment, individual reports, consensus, dashboard."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.clock import set_clock
from app.enums import AssignmentState, ConflictDeclaration, Eligibility, ReportStatus, Role
from app.extensions import db
from app.inputs import ScoreInput
from app.models import Assignment, AuditEvent, Call, Document, PoolMember, Proposal, User
from app.queries.conflicts import detected_conflicts, normalise_organisation
from app.queries.consensus import readiness, spreads
from app.queries.evaluation import Access, evaluator_access, evaluator_can_view, peer_reports
from app.queries.evaluation_progress import call_progress, filter_proposals
from app.queries.pool import find_evaluator
from app.queries.screening import screening_open, screening_rows
from app.queries.submitted import submitted_version
from app.services import assignment as assigning
from app.services import conflicts, consensus, pool, reviews, screening
from app.services.errors import (
    AlreadyExists,
    AssignmentInfeasible,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)
from tests.factories import (
    make_assignment,
    make_evaluation_setup,
    make_pool_member,
    make_proposal,
    make_report,
    make_staff,
)

pytestmark = pytest.mark.usefixtures("app_ctx")

GOOD = "A comment long enough to justify the score given here."


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _full_scores(value: str = "4", comment: str = GOOD) -> dict[str, ScoreInput]:
    return {key: ScoreInput(value, comment) for key in ("relevance", "quality", "impact")}


def _ready_to_rank(call: Call) -> tuple[bool, list[str]]:
    progress = call_progress(call)
    return progress.ready, progress.reasons


def _submit_ier(assignment_id: int, value: str = "4") -> None:
    assignment = db.session.get(Assignment, assignment_id)
    assert assignment is not None
    evaluator = _user(assignment.evaluator_id)
    reviews.save_report(assignment, actor=evaluator, scores=_full_scores(value), overall_comment=GOOD)
    reviews.submit_report(assignment, actor=evaluator)


# --- screening ---------------------------------------------------------------------------------------------------

def _complete(proposal: Proposal, uploader: User) -> None:
    """Make the factory proposal pass every automatic check: contact e-mails and a Part B."""
    from app.enums import DocumentKind

    for partner in proposal.partners:
        partner.contact_email = f"contact{partner.position}@example.org"
    db.session.add(Document(proposal_id=proposal.id, kind=DocumentKind.PART_B, sha256="a" * 64,
                            filename="part-b.pdf", size_bytes=1000, page_count=10, uploaded_by_id=uploader.id))
    db.session.flush()
    db.session.expire(proposal)


def test_screening_shows_the_automatic_checks_of_each_submitted_proposal() -> None:
    s = make_evaluation_setup(proposals=2, publish=False)
    call = db.session.get(Call, s.call_id)
    _complete(db.session.get(Proposal, s.proposal_ids[0]), _user(s.applicant_id))
    rows = screening_rows(call)
    assert [r.proposal.reference for r in rows] == s.references
    assert rows[0].checklist.ok
    assert not rows[1].checklist.ok
    assert {c.key for c in rows[1].checklist.failures} == {"partner_details", "part_b"}
    assert all(r.ready for r in rows)


def test_withdrawn_and_draft_proposals_are_not_screened() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    call = db.session.get(Call, s.call_id)
    make_proposal(call, _user(s.applicant_id), submitted=False)
    assert len(screening_rows(call)) == 1


def test_screening_decision_needs_a_reason_and_is_audited() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    officer = _user(s.officer_id)
    with pytest.raises(InvalidInput) as error:
        screening.decide_eligibility(proposal, actor=officer, eligible=False, reason="no")
    assert error.value.details == {"field": "reason"}
    screening.decide_eligibility(proposal, actor=officer, eligible=False, reason="The coordinator is not a cluster.")
    assert proposal.eligibility is Eligibility.INELIGIBLE
    assert proposal.screened_by_id == officer.id
    (audit,) = _events("proposal.screened")
    assert audit.data["eligibility"] == "ineligible"
    assert audit.data["previous"] == "eligible"
    assert audit.data["automatic"] == "fail"
    assert audit.data["overrides"] is False


def test_only_officers_screen() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    with pytest.raises(NotAllowed):
        screening.decide_eligibility(proposal, actor=_user(s.evaluator_ids[0]), eligible=True,
                                     reason="Looks fine to me, really.")


def test_screening_waits_for_the_deadline() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    call = proposal.call
    set_clock(lambda: call.deadline - timedelta(seconds=1))
    try:
        assert not screening_open(call)
        with pytest.raises(InvalidTransition):
            screening.decide_eligibility(proposal, actor=_user(s.officer_id), eligible=True,
                                         reason="All checks passed.")
    finally:
        set_clock(None)
    assert screening_open(call)


def test_screening_waits_for_the_later_of_the_call_deadline_and_an_extension() -> None:
    """An extension the call's own (later) deadline has overtaken does not open screening early."""
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    call = proposal.call
    proposal.extended_deadline = call.deadline - timedelta(hours=2)  # granted before the call was moved later
    db.session.flush()
    set_clock(lambda: call.deadline - timedelta(hours=1))
    try:
        [row] = screening_rows(call)
        assert not row.ready
        with pytest.raises(InvalidTransition, match="proposal's deadline"):
            screening.decide_eligibility(proposal, actor=_user(s.officer_id), eligible=True,
                                         reason="All checks passed.")
    finally:
        set_clock(None)
    assert screening_rows(call)[0].ready


def test_an_ineligible_decision_withdraws_the_proposals_assignments() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    screening.decide_eligibility(proposal, actor=_user(s.officer_id), eligible=False,
                                 reason="A partner is not in an eligible country.")
    states = {a.state for a in db.session.scalars(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))}
    assert states == {AssignmentState.WITHDRAWN}
    assert evaluator_access(_user(s.evaluator_ids[0]), proposal) is Access.NONE


def test_confirm_passing_marks_only_proposals_that_pass_every_check() -> None:
    s = make_evaluation_setup(proposals=3, publish=False)
    for proposal_id in s.proposal_ids:
        db.session.get(Proposal, proposal_id).eligibility = Eligibility.PENDING
    _complete(db.session.get(Proposal, s.proposal_ids[1]), _user(s.applicant_id))
    confirmed = screening.confirm_passing(db.session.get(Call, s.call_id), actor=_user(s.officer_id),
                                          reason="Every automatic check passed.")
    assert [p.id for p in confirmed] == [s.proposal_ids[1]]
    assert [db.session.get(Proposal, i).eligibility for i in s.proposal_ids] == [
        Eligibility.PENDING, Eligibility.ELIGIBLE, Eligibility.PENDING]


def test_the_last_submitted_version_counts_not_later_edits() -> None:
    from app.models import Submission
    from app.services.receipts import build_snapshot

    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    snapshot = build_snapshot(proposal, version=2, submitted_at=proposal.call.deadline - timedelta(minutes=5),
                              submitted_by=_user(s.applicant_id))
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


# --- pool ----------------------------------------------------------------------------------------------------------

def test_invite_an_evaluator_with_expertise_and_load() -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    call = db.session.get(Call, s.call_id)
    newcomer = make_staff(Role.EVALUATOR, "new@x.test", organisation="Fraunhofer", country="DE")
    member = pool.invite_evaluator(call, actor=_user(s.officer_id), user=newcomer, expertise=["Health", "Digital"],
                                   max_load=7)
    assert (member.organisation_name, member.country, member.max_load) == ("Fraunhofer", "DE", 7)
    assert member.expertise == ["Health", "Digital"]
    assert member.code_of_conduct_accepted_at is None
    assert _events("pool.invited")[0].data["email"] == "new@x.test"
    with pytest.raises(AlreadyExists):
        pool.invite_evaluator(call, actor=_user(s.officer_id), user=newcomer, expertise=[], max_load=3)


@pytest.mark.parametrize(("expertise", "max_load", "field"), [
    (["Space"], 5, "expertise"), (["Open"], 0, "max_load"), (["Open"], 10_000, "max_load"),
])
def test_invitations_are_validated(expertise: list[str], max_load: int, field: str) -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    newcomer = make_staff(Role.EVALUATOR, "new@x.test", organisation="Fraunhofer", country="DE")
    with pytest.raises(InvalidInput) as error:
        pool.invite_evaluator(db.session.get(Call, s.call_id), actor=_user(s.officer_id), user=newcomer,
                              expertise=expertise, max_load=max_load)
    assert error.value.details["field"] == field


def test_only_evaluator_accounts_are_invited() -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    with pytest.raises(InvalidInput):
        pool.invite_evaluator(db.session.get(Call, s.call_id), actor=_user(s.officer_id),
                              user=_user(s.applicant_id), expertise=[], max_load=3)
    with pytest.raises(InvalidInput):
        find_evaluator(s.applicant_email)
    assert find_evaluator(s.evaluator_emails[0].upper()).id == s.evaluator_ids[0]


def test_code_of_conduct_is_accepted_by_the_evaluator_only() -> None:
    s = make_evaluation_setup(evaluators=2, publish=False, accepted=False)
    member = db.session.get(PoolMember, s.member_ids[0])
    with pytest.raises(NotAllowed):
        pool.accept_code_of_conduct(member, actor=_user(s.evaluator_ids[1]))
    pool.accept_code_of_conduct(member, actor=_user(s.evaluator_ids[0]))
    assert member.code_of_conduct_accepted_at is not None
    assert _events("pool.code_of_conduct_accepted")[0].data["text"]


def test_the_maximum_load_cannot_go_below_the_current_load() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)
    member = db.session.get(PoolMember, s.member_ids[0])
    with pytest.raises(InvalidInput):
        pool.update_pool_member(member, actor=_user(s.officer_id), expertise=["Open"], max_load=1)
    pool.update_pool_member(member, actor=_user(s.officer_id), expertise=["Open"], max_load=2)
    assert member.max_load == 2


def test_a_withdrawing_evaluator_keeps_submitted_work_and_leaves_the_rest() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)
    evaluator_id = s.evaluator_ids[0]
    first = s.assignments[(s.proposal_ids[0], evaluator_id)]
    second = s.assignments[(s.proposal_ids[1], evaluator_id)]
    _submit_ier(first)
    withdrawn = pool.withdraw_pool_member(db.session.get(PoolMember, s.member_ids[0]), actor=_user(s.officer_id),
                                          reason="Fell ill")
    assert [a.id for a in withdrawn] == [second]
    assert db.session.get(Assignment, first).state is AssignmentState.PUBLISHED
    assert db.session.get(Assignment, second).state is AssignmentState.WITHDRAWN


# --- conflicts and the access rule -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("Partner A", "partner a"), ("Fraunhofer-Gesellschaft e.V.", "fraunhofer gesellschaft ev"),
    ("Cluster Alliance GmbH", "Cluster Alliance"), ("Université de Liège", "Universite de Liege"),
])
def test_organisation_names_are_compared_loosely(a: str, b: str) -> None:
    assert normalise_organisation(a) == normalise_organisation(b)


def test_different_organisations_stay_different() -> None:
    assert normalise_organisation("Partner A") != normalise_organisation("Partner AB")
    assert normalise_organisation("SA") == "sa"


def _setup_with_conflicted_evaluators() -> tuple[object, Proposal, User, User]:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    call = db.session.get(Call, s.call_id)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    same_org = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner A GmbH", country="AT")
    same_country = make_staff(Role.EVALUATOR, "lt@x.test", organisation="Vilnius Tech", country="LT")
    for person in (same_org, same_country):
        make_pool_member(call, person)
        make_assignment(proposal, person)
    return s, proposal, same_org, same_country


def test_an_evaluator_from_a_consortium_organisation_is_conflicted() -> None:
    _s, proposal, same_org, _ = _setup_with_conflicted_evaluators()
    member = db.session.scalar(sa.select(PoolMember).where(PoolMember.user_id == same_org.id))
    assert detected_conflicts(proposal.call, member, submitted_version(proposal)) == [
        "their organisation (Partner A) is in the consortium"]
    assert evaluator_access(same_org, proposal) is Access.NONE


def test_the_country_rule_follows_the_call_switch() -> None:
    _s, proposal, _, same_country = _setup_with_conflicted_evaluators()
    assert evaluator_access(same_country, proposal) is Access.NONE
    proposal.call.country_conflict = False
    assert evaluator_access(same_country, proposal) is Access.FULL


def test_access_rule_matrix() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, declared=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    evaluator = _user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(proposal.id, evaluator.id)])
    member = db.session.get(PoolMember, s.member_ids[0])
    assert evaluator_access(evaluator, proposal) is Access.SUMMARY  # published, not yet declared
    assert not evaluator_can_view(evaluator, proposal)
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=False)
    assert evaluator_access(evaluator, proposal) is Access.FULL
    member.code_of_conduct_accepted_at = None
    assert evaluator_access(evaluator, proposal) is Access.NONE
    member.code_of_conduct_accepted_at = proposal.call.deadline
    assignment.state = AssignmentState.PROPOSED
    assert evaluator_access(evaluator, proposal) is Access.NONE
    assignment.state = AssignmentState.PUBLISHED
    member.withdrawn_at = proposal.call.deadline
    assert evaluator_access(evaluator, proposal) is Access.NONE
    member.withdrawn_at = None
    proposal.eligibility = Eligibility.PENDING
    assert evaluator_access(evaluator, proposal) is Access.NONE
    proposal.eligibility = Eligibility.ELIGIBLE
    assert evaluator_access(_user(s.officer_id), proposal) is Access.NONE  # not an evaluator
    outsider = make_staff(Role.EVALUATOR, "out@x.test", organisation="Elsewhere", country="SE")
    assert evaluator_access(outsider, proposal) is Access.NONE
    assert evaluator_access(evaluator, proposal) is Access.FULL


def test_a_declared_conflict_hides_the_proposal_until_waived() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, declared=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    evaluator = _user(s.evaluator_ids[1])
    assignment = db.session.get(Assignment, s.assignments[(proposal.id, evaluator.id)])
    with pytest.raises(InvalidInput):
        conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="yes")
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="I advised the coordinator in 2020.")
    assert evaluator_access(evaluator, proposal) is Access.NONE
    with pytest.raises(InvalidTransition):
        conflicts.declare_conflict(assignment, actor=evaluator, conflict=False)
    with pytest.raises(NotAllowed):
        conflicts.waive_conflict(assignment, actor=evaluator, reason="It is not material at all.")
    conflicts.waive_conflict(assignment, actor=_user(s.officer_id), reason="Advice was unpaid and ended in 2020.")
    assert evaluator_access(evaluator, proposal) is Access.FULL
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "assignment").order_by(AuditEvent.id))] == [
        "assignment.conflict_declared", "assignment.conflict_waived"]


def test_only_the_assigned_evaluator_declares() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, declared=False)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(NotAllowed):
        conflicts.declare_conflict(assignment, actor=_user(s.evaluator_ids[1]), conflict=False)


def test_no_conflict_can_become_a_conflict_later() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    evaluator = _user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], evaluator.id)])
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="I just learned my sister works there.")
    assert assignment.conflict is ConflictDeclaration.CONFLICT


# --- assignment ------------------------------------------------------------------------------------------------------

def _pool_call(n_proposals: int, n_evaluators: int, *, max_load: int = 10, k: int = 3) -> tuple[object, Call]:
    s = make_evaluation_setup(proposals=n_proposals, evaluators=n_evaluators, publish=False,
                              evaluators_per_proposal=k)
    call = db.session.get(Call, s.call_id)
    for member_id in s.member_ids:
        db.session.get(PoolMember, member_id).max_load = max_load
    return s, call


def _active(call: Call) -> list[Assignment]:
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.call_id == call.id,
                                                               Assignment.state != AssignmentState.WITHDRAWN)))


def test_automatic_assignment_gives_exactly_k_without_conflicts_within_loads() -> None:
    s, call = _pool_call(6, 5, max_load=4)
    conflicted = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner B", country="IE")
    make_pool_member(call, conflicted, max_load=10)
    result = assigning.fill_gaps(call, actor=_user(s.officer_id))
    rows = _active(call)
    assert len(result.created) == len(rows) == 18
    assert all(a.state is AssignmentState.PROPOSED for a in rows)
    per_proposal: dict[int, set[int]] = {}
    for a in rows:
        per_proposal.setdefault(a.proposal_id, set()).add(a.evaluator_id)
    assert all(len(v) == 3 for v in per_proposal.values())
    assert conflicted.id not in {a.evaluator_id for a in rows}  # Partner B is in every consortium
    loads: dict[int, int] = {}
    for a in rows:
        loads[a.evaluator_id] = loads.get(a.evaluator_id, 0) + 1
    assert max(loads.values()) <= 4
    rapporteurs = [a for a in rows if a.is_rapporteur]
    assert sorted(a.proposal_id for a in rapporteurs) == sorted(s.proposal_ids)
    assert _events("assignments.computed")[0].data["created"] == 18


def test_infeasible_assignment_names_the_proposals_and_changes_nothing() -> None:
    s, call = _pool_call(2, 3, max_load=10)
    lithuanian = make_staff(Role.EVALUATOR, "lt@x.test", organisation="Vilnius Tech", country="LT")
    make_pool_member(call, lithuanian)
    db.session.get(PoolMember, s.member_ids[0]).max_load = 1
    with pytest.raises(AssignmentInfeasible) as error:
        assigning.fill_gaps(call, actor=_user(s.officer_id))
    details = error.value.details
    assert details["missing"] == 1
    assert {p["reference"] for p in details["proposals"]} == set(s.references)
    assert all("places" in p["reason"] for p in details["proposals"])
    assert details["proposals"][0]["conflicted"] == 1  # the Lithuanian evaluator: coordinator's country
    assert error.value.status == 409
    assert error.value.code == "infeasible"
    db.session.rollback()
    assert _active(call) == []


def test_too_few_evaluators_for_one_proposal_is_reported_for_that_proposal() -> None:
    s, call = _pool_call(2, 3)
    proposal = db.session.get(Proposal, s.proposal_ids[1])
    proposal.partners[1].name = "Expert Office 2"  # evaluator 2's organisation joins the consortium
    with pytest.raises(AssignmentInfeasible) as error:
        assigning.fill_gaps(call, actor=_user(s.officer_id))
    (only,) = error.value.details["proposals"]
    assert only["reference"] == proposal.reference
    assert (only["needed"], only["available"], only["conflicted"]) == (3, 2, 1)
    assert "only 2 in the pool are free of conflicts" in only["reason"]


def test_no_eligible_proposal_means_no_assignment() -> None:
    s, call = _pool_call(1, 3)
    db.session.get(Proposal, s.proposal_ids[0]).eligibility = Eligibility.PENDING
    with pytest.raises(InvalidTransition):
        assigning.fill_gaps(call, actor=_user(s.officer_id))


def test_publish_needs_an_evaluation_deadline_and_reveals_assignments() -> None:
    s, call = _pool_call(1, 3)
    call.evaluation_deadline = None
    assigning.fill_gaps(call, actor=_user(s.officer_id))
    evaluator = _user(s.evaluator_ids[0])
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    assert evaluator_access(evaluator, proposal) is Access.NONE  # proposed: invisible
    with pytest.raises(InvalidInput):
        assigning.publish_assignments(call, actor=_user(s.officer_id))
    published = assigning.publish_assignments(call, actor=_user(s.officer_id),
                                              evaluation_deadline=call.deadline + timedelta(days=10_000))
    assert len(published) == 3
    assert evaluator_access(evaluator, proposal) is Access.SUMMARY
    with pytest.raises(InvalidTransition):
        assigning.publish_assignments(call, actor=_user(s.officer_id))


def test_hand_adjustments_refuse_conflicts_overloads_and_extra_evaluators() -> None:
    s, call = _pool_call(2, 4, max_load=1)
    officer = _user(s.officer_id)
    first, second = (db.session.get(Proposal, i) for i in s.proposal_ids)
    partner = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner A", country="IE")
    make_pool_member(call, partner)
    with pytest.raises(InvalidInput, match="conflict of interest"):
        assigning.add_assignment(first, actor=officer, evaluator=partner)
    for evaluator_id in s.evaluator_ids[:3]:
        assigning.add_assignment(first, actor=officer, evaluator=_user(evaluator_id))
    with pytest.raises(InvalidInput, match="already has 3 evaluators"):
        assigning.add_assignment(first, actor=officer, evaluator=_user(s.evaluator_ids[3]))
    with pytest.raises(InvalidInput, match="maximum load"):
        assigning.add_assignment(second, actor=officer, evaluator=_user(s.evaluator_ids[0]))
    with pytest.raises(InvalidInput, match="already assigned"):
        assigning.add_assignment(first, actor=officer, evaluator=_user(s.evaluator_ids[0]))
    outsider = make_staff(Role.EVALUATOR, "out@x.test", organisation="Elsewhere", country="SE")
    with pytest.raises(InvalidInput, match="not in the pool"):
        assigning.add_assignment(second, actor=officer, evaluator=outsider)


def test_removing_a_proposed_assignment_deletes_it_and_a_published_one_is_withdrawn() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=4)
    call = db.session.get(Call, s.call_id)
    officer = _user(s.officer_id)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    published = db.session.get(Assignment, s.assignments[(proposal.id, s.evaluator_ids[1])])
    with pytest.raises(InvalidInput):
        assigning.remove_assignment(published, actor=officer)
    assigning.remove_assignment(published, actor=officer, reason="Cannot make the deadline")
    assert published.state is AssignmentState.WITHDRAWN
    extra = assigning.add_assignment(proposal, actor=officer, evaluator=_user(s.evaluator_ids[3]))
    assigning.remove_assignment(extra, actor=officer)
    assert db.session.get(Assignment, extra.id) is None
    assert len(_active(call)) == 2


def test_replacing_an_evaluator_keeps_everything_else() -> None:
    s = make_evaluation_setup(proposals=3, evaluators=5)
    call = db.session.get(Call, s.call_id)
    before = {(a.id, a.proposal_id, a.evaluator_id, a.state) for a in _active(call)}
    leaving = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[1])])
    result = assigning.replace_evaluator(leaving, actor=_user(s.officer_id), reason="Withdrew for personal reasons")
    (new,) = result.created
    assert new.proposal_id == s.proposal_ids[0]
    assert new.evaluator_id not in (s.evaluator_ids[0], s.evaluator_ids[1], s.evaluator_ids[2])
    assert new.state is AssignmentState.PROPOSED
    after = {(a.id, a.proposal_id, a.evaluator_id, a.state) for a in _active(call)}
    assert after - before == {(new.id, new.proposal_id, new.evaluator_id, new.state)}
    assert before - after == {(leaving.id, leaving.proposal_id, leaving.evaluator_id, AssignmentState.PUBLISHED)}


def test_a_declared_conflict_is_replaced_by_the_next_automatic_run() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=4, declared=False)
    call = db.session.get(Call, s.call_id)
    evaluator = _user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], evaluator.id)])
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="Former employee of the coordinator.")
    result = assigning.fill_gaps(call, actor=_user(s.officer_id))
    assert [a.id for a in result.withdrawn] == [assignment.id]
    assert [a.evaluator_id for a in result.created] == [s.evaluator_ids[3]]
    # a new rapporteur replaces the conflicted one
    rapporteurs = [a for a in _active(call) if a.is_rapporteur]
    assert len(rapporteurs) == 1
    assert rapporteurs[0].evaluator_id != evaluator.id


def test_discard_proposed_recomputes_unpublished_assignments_only() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=4)
    call = db.session.get(Call, s.call_id)
    published_before = {a.id for a in _active(call)}
    result = assigning.fill_gaps(call, actor=_user(s.officer_id), discard_proposed=True)
    assert result.created == []
    assert result.covered == 2
    assert {a.id for a in _active(call)} == published_before


def test_the_rapporteur_is_chosen_among_the_evaluators() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    officer = _user(s.officer_id)
    second = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[1])])
    assigning.set_rapporteur(second, actor=officer)
    flags = {a.evaluator_id: a.is_rapporteur for a in _active(db.session.get(Call, s.call_id))}
    assert flags == {s.evaluator_ids[0]: False, s.evaluator_ids[1]: True, s.evaluator_ids[2]: False}


# --- individual reports ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["-0.5", "5.5", "3.25", "2.7", "abc", "NaN", "Infinity", True, "1e1"])
def test_invalid_scores_are_refused_even_in_a_draft(value: object) -> None:
    s = make_evaluation_setup(proposals=1)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(InvalidInput) as error:
        reviews.save_report(assignment, actor=_user(s.evaluator_ids[0]),
                            scores={"relevance": ScoreInput(value, "")})
    assert error.value.details == {"field": "scores.relevance.score"}


@pytest.mark.parametrize(("value", "stored"), [("0", "0.0"), ("0.5", "0.5"), ("4.5", "4.5"), ("5", "5.0"),
                                               (3, "3.0"), (Decimal("2.50"), "2.5")])
def test_half_points_from_zero_to_the_maximum_are_accepted(value: object, stored: str) -> None:
    s = make_evaluation_setup(proposals=1)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    report = reviews.save_report(assignment, actor=_user(s.evaluator_ids[0]),
                                 scores={"relevance": ScoreInput(value, "")})
    assert str(report.scores[0].score) == stored


def test_a_criterion_with_a_maximum_of_ten_accepts_ten() -> None:
    s = make_evaluation_setup(proposals=1, criteria=[{"key": "relevance", "name": "Relevance", "max": 10}])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    report = reviews.save_report(assignment, actor=_user(s.evaluator_ids[0]),
                                 scores={"relevance": ScoreInput("9.5", "")})
    assert report.scores[0].score == Decimal("9.5")


def test_unknown_criteria_are_refused() -> None:
    s = make_evaluation_setup(proposals=1)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(InvalidInput):
        reviews.save_report(assignment, actor=_user(s.evaluator_ids[0]), scores={"beauty": ScoreInput("3", "")})


def test_submitting_needs_every_score_and_comment_then_locks() -> None:
    s = make_evaluation_setup(proposals=1)
    evaluator = _user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], evaluator.id)])
    reviews.save_report(assignment, actor=evaluator, scores={"relevance": ScoreInput("4", "Too short.")})
    with pytest.raises(InvalidInput) as error:
        reviews.submit_report(assignment, actor=evaluator)
    fields = error.value.details["fields"]
    assert set(fields) == {"scores.relevance.comment", "scores.quality.score", "scores.quality.comment",
                           "scores.impact.score", "scores.impact.comment", "overall_comment"}
    reviews.save_report(assignment, actor=evaluator, scores=_full_scores("3.5"), overall_comment=GOOD)
    report = reviews.submit_report(assignment, actor=evaluator)
    assert report.status is ReportStatus.SUBMITTED
    with pytest.raises(InvalidTransition):
        reviews.save_report(assignment, actor=evaluator, scores=_full_scores("5"))
    with pytest.raises(InvalidTransition):
        reviews.submit_report(assignment, actor=evaluator)
    assert _events("report.submitted")[0].data["scores"] == {"relevance": "3.5", "quality": "3.5", "impact": "3.5"}


def test_an_evaluator_who_has_not_declared_cannot_score() -> None:
    s = make_evaluation_setup(proposals=1, declared=False)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(NotFound):
        reviews.save_report(assignment, actor=_user(s.evaluator_ids[0]), scores=_full_scores())


def test_blind_until_the_own_report_is_submitted() -> None:
    s = make_evaluation_setup(proposals=1)
    pid = s.proposal_ids[0]
    mine = db.session.get(Assignment, s.assignments[(pid, s.evaluator_ids[0])])
    _submit_ier(s.assignments[(pid, s.evaluator_ids[1])], "2")
    assert peer_reports(mine) == []
    reviews.save_report(mine, actor=_user(s.evaluator_ids[0]), scores=_full_scores(), overall_comment=GOOD)
    assert peer_reports(mine) == []  # a draft is not enough
    reviews.submit_report(mine, actor=_user(s.evaluator_ids[0]))
    peers = peer_reports(mine)
    assert [r.assignment.evaluator_id for r in peers] == [s.evaluator_ids[1]]  # drafts of others stay hidden


# --- consensus --------------------------------------------------------------------------------------------------------

def test_spread_of_individual_scores() -> None:
    s = make_evaluation_setup(proposals=1)
    pid = s.proposal_ids[0]
    call = db.session.get(Call, s.call_id)
    reports = [make_report(db.session.get(Assignment, s.assignments[(pid, e)]), scores)
               for e, scores in zip(s.evaluator_ids, [{"relevance": "3", "quality": "4", "impact": "2"},
                                                      {"relevance": "5", "quality": "4", "impact": "2.5"},
                                                      {"relevance": "4", "quality": "3.5", "impact": "3"}],
                                    strict=True)]
    relevance, quality, impact = spreads(list(call.criteria), reports)
    assert (relevance.minimum, relevance.maximum, relevance.mean, relevance.divergent) == (
        Decimal(3), Decimal(5), Decimal("4.00"), True)
    assert (quality.mean, quality.divergent) == (Decimal("3.83"), False)
    assert (impact.minimum, impact.maximum, impact.divergent) == (Decimal(2), Decimal(3), False)


def test_consensus_requires_every_individual_report() -> None:
    s = make_evaluation_setup(proposals=1)
    pid = s.proposal_ids[0]
    proposal = db.session.get(Proposal, pid)
    rapporteur = _user(s.evaluator_ids[0])
    _submit_ier(s.assignments[(pid, s.evaluator_ids[0])])
    _submit_ier(s.assignments[(pid, s.evaluator_ids[1])])
    state = readiness(proposal)
    assert (state.ready, state.submitted, state.expected) == (False, 2, 3)
    with pytest.raises(InvalidTransition, match="2 of 3 individual reports"):
        consensus.save_consensus(proposal, actor=rapporteur, scores=_full_scores())
    _submit_ier(s.assignments[(pid, s.evaluator_ids[2])])
    assert readiness(proposal).ready
    consensus.save_consensus(proposal, actor=rapporteur, scores=_full_scores())


def _all_in(s: object) -> Proposal:
    pid = s.proposal_ids[0]  # type: ignore[attr-defined]
    for evaluator_id in s.evaluator_ids:  # type: ignore[attr-defined]
        _submit_ier(s.assignments[(pid, evaluator_id)])  # type: ignore[attr-defined]
    proposal = db.session.get(Proposal, pid)
    assert proposal is not None
    return proposal


def test_only_the_rapporteur_drafts_the_consensus() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = _all_in(s)
    with pytest.raises(NotAllowed):
        consensus.save_consensus(proposal, actor=_user(s.evaluator_ids[1]), scores=_full_scores())
    stranger = make_staff(Role.EVALUATOR, "out@x.test", organisation="Elsewhere", country="SE")
    with pytest.raises(NotFound):
        consensus.save_consensus(proposal, actor=stranger, scores=_full_scores())
    with pytest.raises(NotAllowed):
        consensus.save_consensus(proposal, actor=_user(s.officer_id), scores=_full_scores())


def test_consensus_draft_submit_approve_and_ready_to_rank() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = _all_in(s)
    call = proposal.call
    rapporteur, officer = _user(s.evaluator_ids[0]), _user(s.officer_id)
    assert _ready_to_rank(call) == (
        False, [f"1 eligible proposal has no approved consensus: {proposal.reference}."])
    consensus.save_consensus(proposal, actor=rapporteur, scores={"relevance": ScoreInput("4", GOOD)})
    with pytest.raises(InvalidTransition):
        consensus.approve_consensus(proposal, actor=officer)  # still a draft
    with pytest.raises(InvalidInput):
        consensus.submit_consensus(proposal, actor=rapporteur)
    consensus.save_consensus(proposal, actor=rapporteur, scores=_full_scores("4.5"), overall_comment=GOOD,
                             submit=True)
    with pytest.raises(NotAllowed):
        consensus.approve_consensus(proposal, actor=rapporteur)
    report = consensus.approve_consensus(proposal, actor=officer)
    assert report.status is ReportStatus.APPROVED
    assert report.approved_by_id == officer.id
    assert _ready_to_rank(call) == (True, [])
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "consensus_report").order_by(AuditEvent.id))] == [
        "consensus.saved", "consensus.saved", "consensus.submitted", "consensus.approved"]


def test_reopening_an_approved_consensus_is_audited_and_needs_a_reason() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = _all_in(s)
    rapporteur, officer = _user(s.evaluator_ids[0]), _user(s.officer_id)
    consensus.save_consensus(proposal, actor=rapporteur, scores=_full_scores(), overall_comment=GOOD, submit=True)
    consensus.approve_consensus(proposal, actor=officer)
    with pytest.raises(InvalidInput):
        consensus.reopen_consensus(proposal, actor=officer, reason="why")
    report = consensus.reopen_consensus(proposal, actor=officer, reason="The panel review found an inconsistency.")
    assert report.status is ReportStatus.DRAFT
    assert report.approved_at is None
    (event_,) = _events("consensus.reopened")
    assert event_.data["previous"] == "approved"
    assert event_.data["reason"] == "The panel review found an inconsistency."
    assert _ready_to_rank(proposal.call)[0] is False
    consensus.save_consensus(proposal, actor=rapporteur, scores=_full_scores("3"), submit=True)


def test_reopening_is_refused_after_a_finalised_selection() -> None:
    from tests.factories import make_finalised_run

    s = make_evaluation_setup(proposals=1)
    proposal = _all_in(s)
    consensus.save_consensus(proposal, actor=_user(s.evaluator_ids[0]), scores=_full_scores(), overall_comment=GOOD,
                             submit=True)
    consensus.approve_consensus(proposal, actor=_user(s.officer_id))
    make_finalised_run(proposal.call, [(proposal, "selected")])
    with pytest.raises(InvalidTransition, match="finalised"):
        consensus.reopen_consensus(proposal, actor=_user(s.officer_id), reason="A late change of heart.")


def test_ready_to_rank_lists_pending_screening() -> None:
    s = make_evaluation_setup(proposals=2, publish=False)
    db.session.get(Proposal, s.proposal_ids[0]).eligibility = Eligibility.PENDING
    db.session.get(Proposal, s.proposal_ids[1]).eligibility = Eligibility.INELIGIBLE
    ready, reasons = _ready_to_rank(db.session.get(Call, s.call_id))
    assert not ready
    assert reasons == [f"1 proposal awaits screening: {s.references[0]}."]


# --- the officer's dashboard ------------------------------------------------------------------------------------------

def _count_queries(fn):  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return result, len(statements)


def test_dashboard_progress_counts() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)
    pid = s.proposal_ids[0]
    _submit_ier(s.assignments[(pid, s.evaluator_ids[0])])
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
        progress, queries = _count_queries(lambda c=call: call_progress(c))
        assert len(progress.proposals) in (2, 25)
        counts.append(queries)
    assert counts[0] == counts[1] <= 5


# --- demo data --------------------------------------------------------------------------------------------------------

def test_seed_demo_puts_the_demo_evaluators_in_the_practice_pool_once(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "evaluator1@eurogrants.test: created" in first.output
    second = runner.invoke(args=["seed", "demo"])
    assert "evaluator1@eurogrants.test: exists, unchanged" in second.output
    db.session.remove()
    members = db.session.scalars(sa.select(PoolMember).join(Call, Call.id == PoolMember.call_id)
                                 .where(Call.code == "SMP-COSME-2021-CLUSTER-01-PRACTICE")).all()
    assert len(members) == 3
    assert all(m.code_of_conduct_accepted_at is None and m.max_load == 10 for m in members)
    assert {m.country for m in members} == {"FI", "PT", "RO"}
