"""The evaluator pool: invitations, the code of conduct, loads and withdrawals."""

from __future__ import annotations

import pytest

from app.enums import AssignmentState, Gender, Role
from app.extensions import db
from app.models import Assignment, Call, PoolMember
from app.queries.pool import find_evaluator
from app.services import pool
from app.services.errors import AlreadyExists, InvalidInput, NotAllowed
from tests.evaluation_support import events, submit_ier, user
from tests.factories import make_evaluation_setup, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_invite_an_evaluator_with_expertise_and_load() -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    call = db.session.get(Call, s.call_id)
    newcomer = make_staff(Role.EVALUATOR, "new@x.test", organisation="Fraunhofer", country="DE")
    member = pool.invite_evaluator(call, actor=user(s.officer_id), user=newcomer, expertise=["Health", "Digital"],
                                   max_load=7)
    assert (member.organisation_name, member.country, member.max_load) == ("Fraunhofer", "DE", 7)
    assert member.expertise == ["Health", "Digital"]
    assert member.code_of_conduct_accepted_at is None
    assert events("pool.invited")[0].data["email"] == "new@x.test"
    with pytest.raises(AlreadyExists):
        pool.invite_evaluator(call, actor=user(s.officer_id), user=newcomer, expertise=[], max_load=3)


@pytest.mark.parametrize(("expertise", "max_load", "field"), [
    (["Space"], 5, "expertise"), (["Open"], 0, "max_load"), (["Open"], 10_000, "max_load"),
])
def test_invitations_are_validated(expertise: list[str], max_load: int, field: str) -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    newcomer = make_staff(Role.EVALUATOR, "new@x.test", organisation="Fraunhofer", country="DE")
    with pytest.raises(InvalidInput) as error:
        pool.invite_evaluator(db.session.get(Call, s.call_id), actor=user(s.officer_id), user=newcomer,
                              expertise=expertise, max_load=max_load)
    assert error.value.details["field"] == field


def test_only_evaluator_accounts_are_invited() -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    with pytest.raises(InvalidInput):
        pool.invite_evaluator(db.session.get(Call, s.call_id), actor=user(s.officer_id),
                              user=user(s.applicant_id), expertise=[], max_load=3)
    with pytest.raises(InvalidInput):
        find_evaluator(s.applicant_email)
    assert find_evaluator(s.evaluator_emails[0].upper()).id == s.evaluator_ids[0]


def test_code_of_conduct_is_accepted_by_the_evaluator_only() -> None:
    s = make_evaluation_setup(evaluators=2, publish=False, accepted=False)
    member = db.session.get(PoolMember, s.member_ids[0])
    with pytest.raises(NotAllowed):
        pool.accept_code_of_conduct(member, actor=user(s.evaluator_ids[1]))
    pool.accept_code_of_conduct(member, actor=user(s.evaluator_ids[0]))
    assert member.code_of_conduct_accepted_at is not None
    assert events("pool.code_of_conduct_accepted")[0].data["text"]


def test_the_maximum_load_cannot_go_below_the_current_load() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)
    member = db.session.get(PoolMember, s.member_ids[0])
    with pytest.raises(InvalidInput):
        pool.update_pool_member(member, actor=user(s.officer_id), expertise=["Open"], max_load=1)
    pool.update_pool_member(member, actor=user(s.officer_id), expertise=["Open"], max_load=2)
    assert member.max_load == 2


def test_a_withdrawing_evaluator_keeps_submitted_work_and_leaves_the_rest() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)
    evaluator_id = s.evaluator_ids[0]
    first = s.assignments[(s.proposal_ids[0], evaluator_id)]
    second = s.assignments[(s.proposal_ids[1], evaluator_id)]
    submit_ier(first)
    withdrawn = pool.withdraw_pool_member(db.session.get(PoolMember, s.member_ids[0]), actor=user(s.officer_id),
                                          reason="Fell ill")
    assert [a.id for a in withdrawn] == [second]
    assert db.session.get(Assignment, first).state is AssignmentState.PUBLISHED
    assert db.session.get(Assignment, second).state is AssignmentState.WITHDRAWN


def test_the_evaluator_keeps_their_profile_and_the_audit_names_the_fields_never_the_values() -> None:
    s = make_evaluation_setup(evaluators=2, publish=False)
    member = db.session.get(PoolMember, s.member_ids[0])
    pool.update_evaluator_profile(member, actor=user(s.evaluator_ids[0]), nationality=" pt ", gender="woman",
                                  keywords=["battery  recycling", "Lithium", "lithium", " "],
                                  statement="  I recover cobalt from used cells.  ")
    assert (member.nationality, member.gender) == ("PT", Gender.WOMAN)
    assert member.expertise_keywords == ["battery recycling", "Lithium"]
    assert member.expertise_statement == "I recover cobalt from used cells."
    event = events("pool.profile_updated")[0]
    assert sorted(event.data["changed"]) == ["expertise_keywords", "expertise_statement", "gender", "nationality"]
    assert "woman" not in str(event.data)
    pool.update_evaluator_profile(member, actor=user(s.evaluator_ids[0]), nationality="PT", gender=None,
                                  keywords=["Lithium"], statement="")
    assert member.gender is None  # the answer can be taken back
    assert events("pool.profile_updated")[1].data["changed"] == ["gender", "expertise_keywords",
                                                                 "expertise_statement"]


def test_prefer_not_to_say_is_an_answer() -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    member = db.session.get(PoolMember, s.member_ids[0])
    pool.update_evaluator_profile(member, actor=user(s.evaluator_ids[0]), nationality="FI",
                                  gender="prefer_not_to_say", keywords=[], statement="")
    assert member.gender is Gender.PREFER_NOT_TO_SAY


@pytest.mark.parametrize(("changes", "field"), [
    ({"nationality": ""}, "nationality"), ({"nationality": "XX"}, "nationality"),
    ({"gender": "unknown"}, "gender"), ({"keywords": [f"k{i}" for i in range(21)]}, "expertise_keywords"),
    ({"keywords": ["x" * 61]}, "expertise_keywords"), ({"statement": "x" * 2001}, "expertise_statement"),
])
def test_the_profile_is_validated(changes: dict[str, object], field: str) -> None:
    s = make_evaluation_setup(evaluators=1, publish=False)
    member = db.session.get(PoolMember, s.member_ids[0])
    given: dict[str, object] = {"nationality": "FI", "gender": None, "keywords": ["a"], "statement": "", **changes}
    with pytest.raises(InvalidInput) as error:
        pool.update_evaluator_profile(member, actor=user(s.evaluator_ids[0]), **given)  # type: ignore[arg-type]
    assert error.value.details["field"] == field
    assert member.nationality == ""


def test_only_the_evaluator_edits_their_profile() -> None:
    s = make_evaluation_setup(evaluators=2, publish=False)
    member = db.session.get(PoolMember, s.member_ids[0])
    for actor in (s.officer_id, s.evaluator_ids[1]):
        with pytest.raises(NotAllowed):
            pool.update_evaluator_profile(member, actor=user(actor), nationality="FI", gender=None, keywords=[],
                                          statement="")
