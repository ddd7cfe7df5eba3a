"""The officer's pages of who evaluates what: the evaluator pool, and the assignment of evaluators to proposals."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.enums import AssignmentState, ConflictDeclaration, Gender, Role, RuleStrength
from app.extensions import db
from app.models import Assignment, Call, PoolMember, Proposal
from tests.evaluation_support import committed_world
from tests.factories import QueryCounter, make_pool_member, make_staff


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


# --- the pool -------------------------------------------------------------------------------------------------------

def test_inviting_an_evaluator(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=1, evaluators=1, publish=False)
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
    s = committed_world(app, proposals=2, evaluators=4)
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
    s = committed_world(app, proposals=3, evaluators=4, publish=False)
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
    s = committed_world(app, proposals=2, evaluators=3, publish=False)
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
    s = committed_world(app, proposals=1, evaluators=4, declared=False)
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
    s = committed_world(app, proposals=1, evaluators=3)
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


def test_assignments_page_queries_do_not_grow(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for code, n in (("ASG-S", 2), ("ASG-L", 20)):
        s = committed_world(app, code=code, proposals=n, evaluators=4)
        client = officer_for(s)
        with app.app_context(), QueryCounter() as counter:
            response = client.get(f"/manage/calls/{code}/assignments")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_the_assignment_pages_say_why_each_evaluator_was_chosen(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=1, evaluators=3, publish=False, evaluators_per_proposal=1)
    with app.app_context():
        proposal = db.session.get(Proposal, s.proposal_ids[0])
        proposal.title, proposal.abstract = "Battery recycling", "Recovering lithium and cobalt from used cells."
        member = db.session.get(PoolMember, s.member_ids[1])
        member.expertise_keywords, member.expertise_statement = ["lithium"], "Cobalt recovery from cells."
        db.session.commit()
    client = officer_for(s)
    assert client.post(f"/manage/calls/{s.code}/assignments/auto", data={}).status_code == 302
    page = _text(client.get(f"/manage/calls/{s.code}/assignments"))
    assert "Evaluator 2 <span" in page
    why = page.split("Evaluator 2 <span", 1)[1].split(")</span>", 1)[0]
    assert set(why.split("(", 1)[1].split(", ")) == {"cells", "cobalt", "lithium"}
    detail = _text(client.get(f"/manage/calls/{s.code}/assignments/{s.proposal_ids[0]}"))
    assert "Why: " in detail
    assert "affinity 0." in detail


def test_the_assignment_page_shows_the_panels_balance(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=2, evaluators=4, publish=False)
    with app.app_context():
        for member_id, nationality, gender in zip(s.member_ids, ["PT", "PT", "FI", ""],
                                                  [Gender.WOMAN, Gender.PREFER_NOT_TO_SAY, Gender.WOMAN, None],
                                                  strict=True):
            member = db.session.get(PoolMember, member_id)
            member.nationality, member.gender = nationality, gender
        member = db.session.get(PoolMember, s.member_ids[0])
        member.expertise, member.expertise_keywords = ["Open"], ["robotics"]
        db.session.get(PoolMember, s.member_ids[1]).expertise = ["Open"]
        db.session.commit()
    page = _text(officer_for(s).get(f"/manage/calls/{s.code}/assignments"))
    balance = page.split("Panel balance", 1)[1].split("Eligible proposals", 1)[0]
    assert "Portugal: 2 (50 %)" in balance
    assert "Finland: 1 (25 %)" in balance
    assert "not given yet: 1 (25 %)" in balance
    assert "Woman: 2 (50 %)" in balance
    assert "Prefer not to say: 1 (25 %)" in balance
    assert "No answer: 1 (25 %)" in balance
    assert "1 of 4 wrote expertise keywords or a statement" in balance
    # k = 3: the proposal in Tourism has only two experts in the pool.
    assert '<tr class=""><td>Open</td><td class="num">4</td><td class="num">1</td></tr>' in balance
    assert '<tr class="short"><td>Tourism</td><td class="num">2</td><td class="num">1</td></tr>' in balance
    assert '<tr class=""><td>Health</td><td class="num">2</td><td class="num">0</td></tr>' in balance
    assert "fewer experts than the 3 evaluators each proposal needs" in balance


def test_the_officer_turns_the_nationality_rule_on_and_each_proposal_shows_it_checked(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=2, evaluators=3, publish=False)
    with app.app_context():
        for member_id, country in zip(s.member_ids, ["PT", "FI", "RO"], strict=True):
            db.session.get(PoolMember, member_id).nationality = country
        db.session.commit()
    client = officer_for(s)
    response = client.post(f"/manage/calls/{s.code}/assignments/settings",
                           data={"evaluators_per_proposal": "3", "country_conflict": "y",
                                 "nationality_rule": "hard"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Call, s.call_id).nationality_rule is RuleStrength.HARD
    assert client.post(f"/manage/calls/{s.code}/assignments/auto", data={}).status_code == 302
    page = _text(client.get(f"/manage/calls/{s.code}/assignments"))
    assert "<th>Panel rule</th>" in page
    assert page.count("one per nationality ✓") == 2
    with app.app_context():  # a panel made before the rule was on, or by hand: shown as breaking it
        db.session.get(PoolMember, s.member_ids[1]).nationality = "PT"
        db.session.commit()
    assert "two or more of PT" in _text(client.get(f"/manage/calls/{s.code}/assignments"))
