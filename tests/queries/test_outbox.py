"""The outbox read: who a letter's e-mail goes to, how many messages are in each state, and the proposals that
would be told two different decisions for the same call."""

from __future__ import annotations

from types import SimpleNamespace

from app.enums import OutboxStatus
from app.extensions import db
from app.queries.outbox import call_messages, contradictions, outbox_counts, recipients_for
from app.services.outbox import cancel_message
from tests.factories import make_finalised_run
from tests.letter_worlds import generate


def test_an_e_mail_goes_to_each_address_once_in_lower_case_with_the_coordinator_s() -> None:
    proposal = SimpleNamespace(coordinator=SimpleNamespace(contact_email=" Coordinator@Example.TEST "))
    assert recipients_for(proposal, ["lukas@baltic.test", "LUKAS@baltic.test ", " ", "ieva@baltic.test"]) == [
        "coordinator@example.test", "ieva@baltic.test", "lukas@baltic.test"]
    without = SimpleNamespace(coordinator=None)
    assert recipients_for(without, ["ieva@baltic.test"]) == ["ieva@baltic.test"]


def test_each_message_is_counted_under_its_state(scenario, officer) -> None:
    generate(scenario["run"], officer)
    messages = call_messages(scenario["call"])
    assert [m.letter.proposal.reference for m in messages] == sorted(p.reference for p in
                                                                       scenario["proposals"].values())
    cancel_message(messages[0], actor=db.session.merge(officer))
    assert outbox_counts(messages) == {"queued": 4, "sending": 0, "sent": 0, "failed": 0, "cancelled": 1}


def test_two_pending_decisions_for_one_proposal_contradict_until_one_is_cancelled(scenario, officer) -> None:
    call, proposals = scenario["call"], scenario["proposals"]
    generate(scenario["run"], officer)
    # A second run, unrelated to the first, that decides otherwise for the reserve proposal.
    other = make_finalised_run(call, [(proposals["reserve"], "selected")])
    db.session.commit()
    generate(other, officer)
    found = contradictions(call)
    assert [(c.proposal, c.acronym, c.decisions) for c in found] == [
        (proposals["reserve"].reference, proposals["reserve"].acronym, ["award", "reserve"])]
    assert {m["status"] for m in found[0].messages} == {OutboxStatus.QUEUED.value}
    wrong = next(m for m in call_messages(call) if m.letter.run_id == other.id
                 and m.letter.proposal_id == proposals["reserve"].id)
    cancel_message(wrong, actor=db.session.merge(officer))
    assert contradictions(call) == []
