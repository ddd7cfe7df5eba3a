"""Assigning evaluators: the automatic assignment, hand adjustments, publication, replacement, rapporteurs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.enums import AssignmentState, Eligibility, Role, RuleStrength
from app.extensions import db
from app.models import Assignment, Call, PoolMember, Proposal
from app.queries.evaluation import Access, evaluator_access
from app.services import assignment as assigning
from app.services import conflicts
from app.services.errors import AssignmentInfeasible, InvalidInput, InvalidTransition
from tests.evaluation_support import active_assignments_of, events, pool_call, user
from tests.factories import make_evaluation_setup, make_pool_member, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_automatic_assignment_gives_exactly_k_without_conflicts_within_loads() -> None:
    pool = pool_call(6, 5, max_load=4)
    s, call = pool.world, pool.call
    conflicted = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner B", country="IE")
    make_pool_member(call, conflicted, max_load=10)
    result = assigning.fill_gaps(call, actor=user(s.officer_id))
    rows = active_assignments_of(call)
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
    assert events("assignments.computed")[0].data["created"] == 18


def test_infeasible_assignment_names_the_proposals_and_changes_nothing() -> None:
    pool = pool_call(2, 3, max_load=10)
    s, call = pool.world, pool.call
    lithuanian = make_staff(Role.EVALUATOR, "lt@x.test", organisation="Vilnius Tech", country="LT")
    make_pool_member(call, lithuanian)
    db.session.get(PoolMember, s.member_ids[0]).max_load = 1
    with pytest.raises(AssignmentInfeasible) as error:
        assigning.fill_gaps(call, actor=user(s.officer_id))
    details = error.value.details
    assert details["missing"] == 1
    assert {p["reference"] for p in details["proposals"]} == set(s.references)
    assert all("places" in p["reason"] for p in details["proposals"])
    assert details["proposals"][0]["conflicted"] == 1  # the Lithuanian evaluator: coordinator's country
    assert error.value.status == 409
    assert error.value.code == "infeasible"
    db.session.rollback()
    assert active_assignments_of(call) == []


def test_too_few_evaluators_for_one_proposal_is_reported_for_that_proposal() -> None:
    pool = pool_call(2, 3)
    s, call = pool.world, pool.call
    proposal = db.session.get(Proposal, s.proposal_ids[1])
    proposal.partners[1].name = "Expert Office 2"  # evaluator 2's organisation joins the consortium
    with pytest.raises(AssignmentInfeasible) as error:
        assigning.fill_gaps(call, actor=user(s.officer_id))
    (only,) = error.value.details["proposals"]
    assert only["reference"] == proposal.reference
    assert (only["needed"], only["available"], only["conflicted"]) == (3, 2, 1)
    assert "only 2 in the pool are free of conflicts" in only["reason"]


def test_no_eligible_proposal_means_no_assignment() -> None:
    pool = pool_call(1, 3)
    s, call = pool.world, pool.call
    db.session.get(Proposal, s.proposal_ids[0]).eligibility = Eligibility.PENDING
    with pytest.raises(InvalidTransition):
        assigning.fill_gaps(call, actor=user(s.officer_id))


def test_publish_needs_an_evaluation_deadline_and_reveals_assignments() -> None:
    pool = pool_call(1, 3)
    s, call = pool.world, pool.call
    call.evaluation_deadline = None
    assigning.fill_gaps(call, actor=user(s.officer_id))
    evaluator = user(s.evaluator_ids[0])
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    assert evaluator_access(evaluator, proposal) is Access.NONE  # proposed: invisible
    with pytest.raises(InvalidInput):
        assigning.publish_assignments(call, actor=user(s.officer_id))
    published = assigning.publish_assignments(call, actor=user(s.officer_id),
                                              evaluation_deadline=call.deadline + timedelta(days=10_000))
    assert len(published) == 3
    assert evaluator_access(evaluator, proposal) is Access.SUMMARY
    with pytest.raises(InvalidTransition):
        assigning.publish_assignments(call, actor=user(s.officer_id))


def test_hand_adjustments_refuse_conflicts_overloads_and_extra_evaluators() -> None:
    pool = pool_call(2, 4, max_load=1)
    s, call = pool.world, pool.call
    officer = user(s.officer_id)
    first, second = (db.session.get(Proposal, i) for i in s.proposal_ids)
    partner = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner A", country="IE")
    make_pool_member(call, partner)
    with pytest.raises(InvalidInput, match="conflict of interest"):
        assigning.add_assignment(first, actor=officer, evaluator=partner)
    for evaluator_id in s.evaluator_ids[:3]:
        assigning.add_assignment(first, actor=officer, evaluator=user(evaluator_id))
    with pytest.raises(InvalidInput, match="already has 3 evaluators"):
        assigning.add_assignment(first, actor=officer, evaluator=user(s.evaluator_ids[3]))
    with pytest.raises(InvalidInput, match="maximum load"):
        assigning.add_assignment(second, actor=officer, evaluator=user(s.evaluator_ids[0]))
    with pytest.raises(InvalidInput, match="already assigned"):
        assigning.add_assignment(first, actor=officer, evaluator=user(s.evaluator_ids[0]))
    outsider = make_staff(Role.EVALUATOR, "out@x.test", organisation="Elsewhere", country="SE")
    with pytest.raises(InvalidInput, match="not in the pool"):
        assigning.add_assignment(second, actor=officer, evaluator=outsider)


def test_removing_a_proposed_assignment_deletes_it_and_a_published_one_is_withdrawn() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=4)
    call = db.session.get(Call, s.call_id)
    officer = user(s.officer_id)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    published = db.session.get(Assignment, s.assignments[(proposal.id, s.evaluator_ids[1])])
    with pytest.raises(InvalidInput):
        assigning.remove_assignment(published, actor=officer)
    assigning.remove_assignment(published, actor=officer, reason="Cannot make the deadline")
    assert published.state is AssignmentState.WITHDRAWN
    extra = assigning.add_assignment(proposal, actor=officer, evaluator=user(s.evaluator_ids[3]))
    assigning.remove_assignment(extra, actor=officer)
    assert db.session.get(Assignment, extra.id) is None
    assert len(active_assignments_of(call)) == 2


def test_replacing_an_evaluator_keeps_everything_else() -> None:
    s = make_evaluation_setup(proposals=3, evaluators=5)
    call = db.session.get(Call, s.call_id)
    before = {(a.id, a.proposal_id, a.evaluator_id, a.state) for a in active_assignments_of(call)}
    leaving = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[1])])
    result = assigning.replace_evaluator(leaving, actor=user(s.officer_id), reason="Withdrew for personal reasons")
    (new,) = result.created
    assert new.proposal_id == s.proposal_ids[0]
    assert new.evaluator_id not in (s.evaluator_ids[0], s.evaluator_ids[1], s.evaluator_ids[2])
    assert new.state is AssignmentState.PROPOSED
    after = {(a.id, a.proposal_id, a.evaluator_id, a.state) for a in active_assignments_of(call)}
    assert after - before == {(new.id, new.proposal_id, new.evaluator_id, new.state)}
    assert before - after == {(leaving.id, leaving.proposal_id, leaving.evaluator_id, AssignmentState.PUBLISHED)}


def test_a_declared_conflict_is_replaced_by_the_next_automatic_run() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=4, declared=False)
    call = db.session.get(Call, s.call_id)
    evaluator = user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], evaluator.id)])
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="Former employee of the coordinator.")
    result = assigning.fill_gaps(call, actor=user(s.officer_id))
    assert [a.id for a in result.withdrawn] == [assignment.id]
    assert [a.evaluator_id for a in result.created] == [s.evaluator_ids[3]]
    # a new rapporteur replaces the conflicted one
    rapporteurs = [a for a in active_assignments_of(call) if a.is_rapporteur]
    assert len(rapporteurs) == 1
    assert rapporteurs[0].evaluator_id != evaluator.id


def test_discard_proposed_recomputes_unpublished_assignments_only() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=4)
    call = db.session.get(Call, s.call_id)
    published_before = {a.id for a in active_assignments_of(call)}
    result = assigning.fill_gaps(call, actor=user(s.officer_id), discard_proposed=True)
    assert result.created == []
    assert result.covered == 2
    assert {a.id for a in active_assignments_of(call)} == published_before


def test_the_rapporteur_is_chosen_among_the_evaluators() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    officer = user(s.officer_id)
    second = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[1])])
    assigning.set_rapporteur(second, actor=officer)
    flags = {a.evaluator_id: a.is_rapporteur for a in active_assignments_of(db.session.get(Call, s.call_id))}
    assert flags == {s.evaluator_ids[0]: False, s.evaluator_ids[1]: True, s.evaluator_ids[2]: False}


def _profiled_pool() -> tuple[Call, int, list[Proposal], list[PoolMember]]:
    """Two proposals (batteries, rural tourism), four evaluators expert in every strand: two wrote nothing, one
    about batteries, one about tourism."""
    pool = pool_call(2, 4, max_load=1, k=1)
    proposals = [db.session.get(Proposal, pid) for pid in pool.world.proposal_ids]
    assert proposals[0] is not None
    assert proposals[1] is not None
    proposals[0].title = "Battery recycling for electric vehicles"
    proposals[0].abstract = "Recovering lithium and cobalt from used cells."
    proposals[1].title = "Rural tourism platform"
    proposals[1].abstract = "Connecting farm stays with cycling routes."
    members = [db.session.get(PoolMember, mid) for mid in pool.world.member_ids]
    members[2].expertise_keywords = ["lithium", "battery recycling"]  # type: ignore[union-attr]
    members[2].expertise_statement = "Cobalt recovery from cells."  # type: ignore[union-attr]
    members[3].expertise_keywords = ["rural tourism"]  # type: ignore[union-attr]
    members[3].expertise_statement = "Farm stays and cycling routes."  # type: ignore[union-attr]
    db.session.flush()
    return pool.call, pool.world.officer_id, [p for p in proposals if p], [m for m in members if m]


def test_once_evaluators_wrote_their_expertise_the_closest_is_assigned_with_the_terms_that_say_why() -> None:
    call, officer_id, proposals, members = _profiled_pool()
    assigning.fill_gaps(call, actor=user(officer_id))
    chosen = {a.proposal_id: a for a in active_assignments_of(call)}
    battery, tourism = chosen[proposals[0].id], chosen[proposals[1].id]
    assert (battery.evaluator_id, tourism.evaluator_id) == (members[2].user_id, members[3].user_id)
    assert len(battery.shared_terms) == 3
    assert set(battery.shared_terms) <= {"battery", "recycling", "lithium", "cobalt", "cells"}
    assert "tourism" in tourism.shared_terms
    assert battery.affinity is not None
    assert battery.affinity > 0
    assert events("assignments.computed")[0].data["matched_on"] == "profiles"


def test_while_nobody_wrote_a_profile_the_strand_decides_and_no_terms_are_stored() -> None:
    pool = pool_call(2, 3, k=1)
    assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    rows = active_assignments_of(pool.call)
    assert rows
    assert all(a.affinity is None and a.shared_terms == [] for a in rows)
    assert events("assignments.computed")[0].data["matched_on"] == "strand"


def _nationalities(call: Call, countries: list[str]) -> None:
    members = sorted(db.session.scalars(sa.select(PoolMember).where(PoolMember.call_id == call.id)),
                     key=lambda m: m.id)
    for member, country in zip(members, countries, strict=True):
        member.nationality = country
    db.session.flush()


def test_with_the_nationality_rule_no_panel_gets_two_evaluators_of_one_nationality() -> None:
    pool = pool_call(6, 6, max_load=6, k=3)
    _nationalities(pool.call, ["PT", "PT", "PT", "FI", "FI", "RO"])
    pool.call.nationality_rule = RuleStrength.HARD
    assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    nationality = {m.user_id: m.nationality for m in db.session.scalars(sa.select(PoolMember))}
    panels: dict[int, list[str]] = {}
    for assignment in active_assignments_of(pool.call):
        panels.setdefault(assignment.proposal_id, []).append(nationality[assignment.evaluator_id])
    assert len(panels) == 6
    assert all(sorted(panel) == ["FI", "PT", "RO"] for panel in panels.values())


def test_a_nationality_rule_that_cannot_be_met_is_named_and_nothing_changes() -> None:
    pool = pool_call(2, 4, k=3)
    _nationalities(pool.call, ["PT", "PT", "FI", "FI"])
    pool.call.nationality_rule = RuleStrength.HARD
    with pytest.raises(AssignmentInfeasible) as error:
        assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    assert error.value.details["rule"] == "at most one evaluator of each nationality per proposal"
    assert "at most one evaluator of each nationality per proposal" in error.value.message
    assert {p["rule"] for p in error.value.details["proposals"]} == {
        "at most one evaluator of each nationality per proposal"}
    assert active_assignments_of(pool.call) == []
    pool.call.nationality_rule = RuleStrength.SOFT  # a soft rule gives way: each panel has both nationalities
    assert len(assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id)).created) == 6
    nationality = {m.user_id: m.nationality for m in db.session.scalars(sa.select(PoolMember))}
    for proposal_id in pool.world.proposal_ids:
        panel = sorted(nationality[a.evaluator_id] for a in active_assignments_of(pool.call)
                       if a.proposal_id == proposal_id)
        assert panel in (["FI", "FI", "PT"], ["FI", "PT", "PT"])


def test_gaps_are_filled_without_repeating_a_nationality_already_on_the_panel() -> None:
    pool = pool_call(1, 4, k=2)
    _nationalities(pool.call, ["PT", "PT", "FI", "RO"])
    pool.call.nationality_rule = RuleStrength.HARD
    members = sorted(db.session.scalars(sa.select(PoolMember)), key=lambda m: m.id)
    proposal = db.session.get(Proposal, pool.world.proposal_ids[0])
    assigning.add_assignment(proposal, actor=user(pool.world.officer_id), evaluator=members[0].user)
    with pytest.raises(InvalidInput, match="also of this nationality"):
        assigning.add_assignment(proposal, actor=user(pool.world.officer_id), evaluator=members[1].user)
    result = assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    assert result.created[0].evaluator_id in {members[2].user_id, members[3].user_id}


def test_the_nationality_rule_is_a_setting_of_the_call_off_soft_or_hard() -> None:
    pool = pool_call(1, 3)
    officer = user(pool.world.officer_id)
    assigning.update_evaluation_settings(pool.call, actor=officer, evaluators_per_proposal=3, country_conflict=True,
                                         nationality_rule="soft")
    assert pool.call.nationality_rule is RuleStrength.SOFT
    assigning.update_evaluation_settings(pool.call, actor=officer, evaluators_per_proposal=3, country_conflict=True)
    assert pool.call.nationality_rule is RuleStrength.SOFT  # not given: unchanged
    with pytest.raises(InvalidInput) as error:
        assigning.update_evaluation_settings(pool.call, actor=officer, evaluators_per_proposal=3,
                                             country_conflict=True, nationality_rule="sometimes")
    assert error.value.details["field"] == "nationality_rule"
    assert pool.call.nationality_rule is RuleStrength.SOFT
    event = events("call.evaluation_settings")[0]
    assert (event.data["before"]["nationality_rule"], event.data["after"]["nationality_rule"]) == ("off", "soft")
