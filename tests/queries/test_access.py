"""The one access module: one require_officer, what the system (actor=None) may do, and the loaders' 404 and 403."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.call_inputs import CallSettings
from app.enums import Role
from app.extensions import db
from app.models import Call, User
from app.queries import access
from app.queries.letters import run_letters
from app.queries.outbox import call_messages
from app.services import letters as letter_service
from app.services import outbox as outbox_service
from app.services import selection
from app.services.call_settings import update_call_settings
from app.services.errors import NotAllowed, NotFound
from app.services.proposals import grant_extension
from app.web.errors import reader_message
from tests.factories import make_letter_scenario, make_open_call, make_proposal


@pytest.fixture
def scenario(app_ctx: None, make_user: Callable[..., User]) -> dict[str, Any]:
    owner = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    data = make_letter_scenario(owner)
    db.session.commit()
    return {**data, "owner": owner, "officer": db.session.merge(make_user(Role.OFFICER)),
            "stranger": db.session.merge(make_user(Role.APPLICANT, organisation="Elsewhere", country="FR")),
            "evaluator": db.session.merge(make_user(Role.EVALUATOR))}


def test_only_officers_and_administrators_pass_require_officer(scenario: dict[str, Any],
                                                                make_user: Callable[..., User]) -> None:
    admin = db.session.merge(make_user(Role.ADMIN))
    access.require_officer(scenario["officer"])
    access.require_officer(admin)
    for who in ("owner", "evaluator"):
        with pytest.raises(NotAllowed, match="Only programme officers and administrators grant extensions."):
            access.require_officer(scenario[who], to="grant extensions")


@pytest.mark.parametrize(("language", "says"), [
    ("fr", "Action réservée aux gestionnaires de programme et aux administrateurs : accorder des prolongations."),
    ("de", "Diese Aktion ist Programmverantwortlichen und Administratoren vorbehalten: Verlängerungen gewähren.")])
def test_the_refusal_names_the_action_in_the_readers_language(app: Any, scenario: dict[str, Any], language: str,
                                                               says: str) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        with pytest.raises(NotAllowed) as refused:
            grant_extension(scenario["proposals"]["selected"], actor=scenario["owner"],
                            deadline=scenario["call"].deadline + timedelta(days=1), reason="A lost upload.")
        assert reader_message(refused.value) == says


def test_the_system_may_read_and_deliver_but_decides_nothing(scenario: dict[str, Any]) -> None:
    """actor=None (the command line, a background job) passes only for unattended actions."""
    access.require_officer(None, unattended=True)
    with pytest.raises(NotAllowed):
        access.require_officer(None)
    run, call = scenario["run"], scenario["call"]
    # Delivering what officers decided: the letters of a finalised run, the outbox.
    batch = letter_service.start_letter_batch(run, actor=None)
    db.session.commit()
    assert batch.total == 5
    assert letter_service.publish_letters(run, actor=None) == 5
    db.session.commit()
    outbox_service.cancel_message(call_messages(call)[0], actor=None)
    # Deciding: every decision names its officer.
    with pytest.raises(NotAllowed):
        selection.run_selection(call, actor=None)
    with pytest.raises(NotAllowed):
        selection.finalise_run(run, actor=None, token="x")


def test_extensions_and_call_settings_refuse_the_system_with_403_not_a_crash(app_ctx: None,
                                                                             make_user: Callable[..., User]) -> None:
    applicant = db.session.merge(make_user(Role.APPLICANT))
    call = make_open_call("OPEN-CALL")
    proposal = make_proposal(call, applicant)
    db.session.commit()
    with pytest.raises(NotAllowed):
        grant_extension(proposal, actor=None, deadline=call.deadline + timedelta(days=1),  # type: ignore[arg-type]
                        reason="A power cut at the coordinator's.")
    with pytest.raises(NotAllowed):
        update_call_settings(call, actor=None, settings=CallSettings(page_limit=3))  # type: ignore[arg-type]
    with pytest.raises(NotAllowed):
        update_call_settings(call, actor=applicant, settings=CallSettings(page_limit=3))


def test_a_run_has_one_identity_its_calls_code_and_its_number(scenario: dict[str, Any]) -> None:
    run, call, officer = scenario["run"], scenario["call"], scenario["officer"]
    assert access.load_run(call, run.number, officer).id == run.id
    assert access.load_run_by_id(run.id, officer).id == run.id
    other = make_open_call("OTHER-CALL")
    db.session.flush()
    with pytest.raises(NotFound, match="There is no run 1 of OTHER-CALL."):
        access.load_run(other, run.number, officer)
    with pytest.raises(NotAllowed):
        access.load_run(call, run.number, scenario["owner"])


def test_officer_objects_are_403_for_other_roles_and_404_when_not_of_the_call(scenario: dict[str, Any]) -> None:
    call, officer, owner = scenario["call"], scenario["officer"], scenario["owner"]
    batch = letter_service.start_letter_batch(scenario["run"], actor=officer)
    db.session.commit()
    letter_service.publish_letters(scenario["run"], actor=officer)
    db.session.commit()
    message = call_messages(call)[0]
    assert access.load_letter_batch(batch.id, officer).id == batch.id
    assert access.load_outbox_message(call, message.id, officer).id == message.id
    with pytest.raises(NotAllowed):
        access.load_letter_batch(batch.id, owner)
    with pytest.raises(NotAllowed):
        access.load_outbox_message(call, message.id, owner)
    other = make_open_call("OTHER-CALL")
    db.session.flush()
    with pytest.raises(NotFound):
        access.load_outbox_message(other, message.id, officer)
    with pytest.raises(NotFound):
        access.load_letter_batch(batch.id + 1000, officer)


def test_a_submitted_proposal_of_the_call_is_the_officers_and_404_otherwise(scenario: dict[str, Any]) -> None:
    call, officer = scenario["call"], scenario["officer"]
    submitted = scenario["proposals"]["selected"]
    assert access.load_submitted_proposal(call, submitted.id, officer) is submitted
    for who in ("owner", "evaluator"):
        with pytest.raises(NotAllowed):
            access.load_submitted_proposal(call, submitted.id, scenario[who])
    draft = make_proposal(call, scenario["owner"], submitted=False)
    other = make_open_call("OTHER-CALL")
    db.session.flush()
    for wrong_call, proposal_id in ((call, draft.id), (other, submitted.id), (call, submitted.id + 1000)):
        with pytest.raises(NotFound, match="There is no such submitted proposal in this call."):
            access.load_submitted_proposal(wrong_call, proposal_id, officer)


def test_a_letter_is_read_by_officers_and_once_published_by_its_organisation(scenario: dict[str, Any]) -> None:
    run, officer = scenario["run"], scenario["officer"]
    letter_service.start_letter_batch(run, actor=officer)
    db.session.commit()
    letter = run_letters(run)[0]
    assert access.load_letter(letter.id, officer) is letter
    for who in ("owner", "stranger", "evaluator"):
        with pytest.raises(NotFound):
            access.load_letter(letter.id, scenario[who])
    letter_service.publish_letters(run, actor=officer)
    db.session.commit()
    assert access.load_letter(letter.id, scenario["owner"]) is letter
    for who in ("stranger", "evaluator"):
        with pytest.raises(NotFound):
            access.load_letter(letter.id, scenario[who])


def test_a_call_is_public_and_an_unknown_code_is_404(app_ctx: None) -> None:
    call = make_open_call("OPEN-CALL")
    db.session.commit()
    assert access.load_call("OPEN-CALL").id == call.id
    assert isinstance(access.load_call("OPEN-CALL"), Call)
    with pytest.raises(NotFound, match="There is no call 'NOPE'."):
        access.load_call("NOPE")
