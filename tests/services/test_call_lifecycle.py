"""A call's life cycle: what may change in each phase (the documented table, tried cell by cell with a real change),
and the two stored decisions, publishing and archiving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.call_inputs import SETTING_NAMES, CallSettings
from app.clock import set_clock
from app.enums import CallPhase, Role
from app.extensions import db
from app.models import AuditEvent, Call, User
from app.queries.calls import call_phase
from app.services.call_lifecycle import CHANGES, GROUP_OF, GROUPS, Change, archive_call, publish_call, refusal
from app.services.call_settings import update_call_settings
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed
from tests.factories import make_approved_consensus, make_assignment, make_call, make_finalised_run, make_proposal

NOW = datetime(2031, 6, 1, 10, 0, tzinfo=UTC)
REASON = "The portal was down on the last day."

# The table as the README documents it: A allowed, S until the first submission, R with a reason, F fixed.
DOCUMENTED = {  # identity kind opening deadline time_zone money eligibility strands evaluation scoring texts
    "draft": "A A A A A A A A A A A",
    "published": "A F A R A A A A A A A",
    "open": "A F F R F A A S A S A",
    "closed": "A F F R F A F F A S A",
    "in_evaluation": "A F F F F A F F A F A",
    "decided": "F F F F F F F F F F F",
    "archived": "F F F F F F F F F F F",
}
LETTERS = {"A": Change.ALLOWED, "S": Change.BEFORE_SUBMISSION, "R": Change.WITH_REASON, "F": Change.FIXED}
LETTERS_OF = {rule: letter for letter, rule in LETTERS.items()}

# One real change per group (a value the test calls do not have).
CHANGE_OF: dict[str, Callable[[Call], dict[str, Any]]] = {
    "identity": lambda call: {"title": "Another title"},
    "kind": lambda call: {"kind": "event"},
    "opening": lambda call: {"opens_at": call.opens_at - timedelta(days=1)},
    "deadline": lambda call: {"deadline": call.deadline + timedelta(days=1)},
    "time_zone": lambda call: {"time_zone": "Europe/Paris"},
    "money": lambda call: {"reserve_size": 7},
    "eligibility": lambda call: {"page_limit": 12},
    "strands": lambda call: {"strand_label": "Area"},
    "evaluation": lambda call: {"evaluators_per_proposal": 4},
    "scoring": lambda call: {"overall_threshold": "9"},
    "texts": lambda call: {"letter_contact": "calls@example.eu"},
}


@pytest.fixture
def officer(app_ctx, make_user) -> User:  # type: ignore[no-untyped-def]
    set_clock(lambda: NOW)
    yield db.session.get(User, make_user(Role.OFFICER).id)  # type: ignore[misc]
    set_clock(None)


def call_in(phase: CallPhase, applicant: User, evaluator: User, *, submitted: bool = True) -> Call:
    """A call in `phase` (with a submitted proposal from `open` on, when `submitted`)."""
    day = timedelta(days=1)
    dates = {CallPhase.DRAFT: (NOW - day, NOW + 30 * day), CallPhase.PUBLISHED: (NOW + 5 * day, NOW + 30 * day),
             CallPhase.OPEN: (NOW - 5 * day, NOW + 30 * day)}.get(phase, (NOW - 60 * day, NOW - day))
    call = make_call(f"PHASE-{phase.value.upper().replace('_', '-')}", opens_at=dates[0], deadline=dates[1],
                     published_at=None if phase is CallPhase.DRAFT else NOW - 90 * day)
    if phase in (CallPhase.DRAFT, CallPhase.PUBLISHED) or not submitted:
        return call
    proposal = make_proposal(call, applicant)
    if phase is CallPhase.IN_EVALUATION:
        make_assignment(proposal, evaluator)
    if phase in (CallPhase.DECIDED, CallPhase.ARCHIVED):
        make_approved_consensus(proposal, {"relevance": 4, "quality": 4, "impact": 4})
        make_finalised_run(call, [(proposal, "selected")])
    if phase is CallPhase.ARCHIVED:
        call.archived_at = NOW - day
    db.session.flush()
    assert call_phase(call) is phase
    return call


@pytest.fixture
def people(officer, make_user) -> tuple[User, User]:  # type: ignore[no-untyped-def]
    return (db.session.get(User, make_user(Role.APPLICANT).id),  # type: ignore[return-value]
            db.session.get(User, make_user(Role.EVALUATOR).id))


def _events(call: Call) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "call.settings_changed",
                                                               AuditEvent.object_id == call.code)))


def test_the_table_is_the_documented_one_and_covers_every_setting() -> None:
    assert {phase.value: " ".join(LETTERS_OF[rule] for rule in CHANGES[phase].values()) for phase in CallPhase} \
        == DOCUMENTED
    assert list(GROUPS) == list(CHANGE_OF)
    assert set(GROUP_OF) == set(SETTING_NAMES) - {"code"}  # the code never changes: copy the call instead


CELLS = [(CallPhase(phase), group, LETTERS[letter]) for phase, row in DOCUMENTED.items()
         for group, letter in zip(GROUPS, row.split(), strict=True)]


@pytest.mark.parametrize(("phase", "group", "rule"), CELLS, ids=[f"{p.value}-{g}" for p, g, _ in CELLS])
def test_each_change_in_each_phase_is_saved_or_refused_as_documented(officer, people, phase, group, rule) -> None:  # type: ignore[no-untyped-def]
    call = call_in(phase, *people)
    change = CHANGE_OF[group](call)
    [name] = change
    before = getattr(call, name)
    attempt = lambda reason="": update_call_settings(  # noqa: E731
        call, actor=officer, settings=CallSettings.parse(change), reason=reason)
    # From `open` on, the call in this test has a submitted proposal.
    submitted = phase not in (CallPhase.DRAFT, CallPhase.PUBLISHED)
    if rule is Change.FIXED or (rule is Change.BEFORE_SUBMISSION and submitted):
        with pytest.raises(InvalidTransition) as refused:
            attempt(REASON)
        assert str(refused.value) == refusal(phase, group)
        assert refused.value.details == {"field": name, "phase": phase.value}
        assert getattr(call, name) == before
        assert _events(call) == []
        return
    if rule is Change.WITH_REASON:
        with pytest.raises(InvalidInput) as unexplained:
            attempt("  too short ")
        assert unexplained.value.details == {"field": "reason"}
        assert getattr(call, name) == before
    assert attempt(REASON if rule is Change.WITH_REASON else "") == [name]
    [event] = _events(call)
    assert set(event.data["changes"]) == {name}
    assert event.data["changes"][name]["from"] != event.data["changes"][name]["to"]
    if rule is Change.WITH_REASON:
        assert event.data["reason"] == REASON


@pytest.mark.parametrize(("phase", "group"), [(phase, group) for phase, rules in CHANGES.items()
                                                for group, rule in rules.items() if rule is Change.BEFORE_SUBMISSION])
def test_what_is_fixed_at_the_first_submission_changes_freely_before_it(officer, people, phase, group) -> None:  # type: ignore[no-untyped-def]
    call = call_in(phase, *people, submitted=False)
    change = CHANGE_OF[group](call)
    assert update_call_settings(call, actor=officer, settings=CallSettings.parse(change)) == list(change)


def test_criteria_and_weights_are_fixed_once_a_proposal_is_submitted(officer, people) -> None:  # type: ignore[no-untyped-def]
    call = call_in(CallPhase.OPEN, *people)
    criteria = [{"key": "relevance", "name": "Relevance", "max": 5, "weight": "2", "threshold": 3}]
    with pytest.raises(InvalidTransition, match="criteria, weights and thresholds are fixed once the first "
                                                "proposal is submitted"):
        update_call_settings(call, actor=officer, settings=CallSettings.parse(
            {"criteria": criteria, "tie_break": ["relevance"], "overall_threshold": None}))
    assert [c.key for c in call.criteria] == ["relevance", "quality", "impact"]


def test_publishing_a_draft_shows_it_and_is_audited_once(officer, people) -> None:  # type: ignore[no-untyped-def]
    call = call_in(CallPhase.DRAFT, *people)
    publish_call(call, actor=officer)
    assert call.published_at == NOW
    assert call_phase(call) is CallPhase.OPEN  # its dates say it is open already
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "call.published"))
    assert event is not None
    assert event.data["changes"] == {"phase": {"from": "draft", "to": "open"}}
    with pytest.raises(InvalidTransition, match="already published"):
        publish_call(call, actor=officer)


@pytest.mark.parametrize("phase", list(CallPhase))
def test_only_a_decided_call_or_a_closed_one_without_proposals_is_archived(officer, people, phase) -> None:  # type: ignore[no-untyped-def]
    call = call_in(phase, *people)
    if phase is CallPhase.DECIDED:
        archive_call(call, actor=officer)
        assert call_phase(call) is CallPhase.ARCHIVED
        return
    with pytest.raises(InvalidTransition, match=f"The call is {phase.label}: only a decided call"):
        archive_call(call, actor=officer)
    assert call.archived_at is None or phase is CallPhase.ARCHIVED


def test_a_closed_call_nobody_applied_to_may_be_archived(officer, people) -> None:  # type: ignore[no-untyped-def]
    call = call_in(CallPhase.CLOSED, *people, submitted=False)
    archive_call(call, actor=officer)
    assert call_phase(call) is CallPhase.ARCHIVED


def test_a_draft_is_nobody_s_to_submit_to_whatever_its_dates(officer, people) -> None:  # type: ignore[no-untyped-def]
    call = call_in(CallPhase.DRAFT, *people)
    assert call.opens_at < NOW < call.deadline
    assert not call.is_open(NOW)


@pytest.mark.parametrize("actor", [None, "applicant"])
def test_only_officers_publish_and_archive(officer, people, actor) -> None:  # type: ignore[no-untyped-def]
    call = call_in(CallPhase.DRAFT, *people)
    with pytest.raises(NotAllowed):
        publish_call(call, actor=people[0] if actor else None)
