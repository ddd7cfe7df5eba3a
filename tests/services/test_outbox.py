"""The outbox: one e-mail per letter, reviewed, refused on contradictory decisions, sent over a real SMTP server."""

from __future__ import annotations

import email

import pytest
import sqlalchemy as sa

from app.enums import OutboxStatus, Role
from app.extensions import db
from app.models import Letter, OutboxMessage
from app.services import letters as letter_service
from app.services import outbox
from app.services.errors import InvalidTransition, NotAllowed
from tests.factories import make_finalised_run, make_letter_scenario
from tests.support import free_port


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app, monkeypatch):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    yield inbox
    controller.stop()


@pytest.fixture
def people(app, make_user):
    return {
        "officer": make_user(Role.OFFICER),
        "applicant": make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT",
                               email="lukas@baltic.test"),
        "colleague": make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT",
                               email="ieva@baltic.test"),
    }


@pytest.fixture
def generated(app_ctx, people):
    data = make_letter_scenario(db.session.merge(people["applicant"]))
    db.session.commit()
    letter_service.start_letter_batch(data["run"], actor=db.session.merge(people["officer"]))
    db.session.commit()
    return data


def officer_of(people):
    return db.session.merge(people["officer"])


def publish(data, people) -> None:
    letter_service.publish_letters(data["run"], actor=officer_of(people))
    db.session.commit()


def test_one_message_per_letter_to_the_organisations_applicants_and_the_coordinator(generated) -> None:
    messages = outbox.call_messages(generated["call"])
    assert len(messages) == 5
    assert all(m.status is OutboxStatus.QUEUED for m in messages)
    first = messages[0]
    assert first.recipients == ["coordinator1@example.test", "ieva@baltic.test", "lukas@baltic.test"]
    assert first.subject == f"[{generated['call'].code}] Award letter for your proposal EC1SELE"
    assert first.letter.reference in first.body
    assert first.letter.verification_code in first.body
    assert "/applicant/letters" in first.body


def test_without_smtp_the_messages_stay_queued(generated, people) -> None:
    publish(generated, people)
    assert not outbox.mail_configured()
    with pytest.raises(InvalidTransition, match="No SMTP server"):
        outbox.send_outbox(generated["call"], actor=officer_of(people))
    db.session.rollback()
    assert {m.status for m in outbox.call_messages(generated["call"])} == {OutboxStatus.QUEUED}


def test_sending_needs_published_letters(generated, people, smtp_server) -> None:
    with pytest.raises(InvalidTransition, match="Publish the letters") as refused:
        outbox.send_outbox(generated["call"], actor=officer_of(people))
    assert refused.value.details["count"] == 5
    assert smtp_server.messages == []


def test_sending_delivers_every_message_over_smtp(generated, people, smtp_server) -> None:
    publish(generated, people)
    report = outbox.send_outbox(generated["call"], actor=officer_of(people))
    db.session.commit()  # JOBS_INLINE: the sending job runs before commit() returns
    assert report.queued == 5
    assert len(smtp_server.messages) == 5
    sender, recipients, raw = smtp_server.messages[0]
    parsed = email.message_from_bytes(raw)
    assert "no-reply@eurogrants.test" in sender
    assert recipients == ["coordinator1@example.test", "ieva@baltic.test", "lukas@baltic.test"]
    assert parsed["Subject"].endswith("Award letter for your proposal EC1SELE")
    assert parsed["X-Eurogrants-Letter"].endswith("-L1")
    messages = outbox.call_messages(generated["call"])
    assert all(m.status is OutboxStatus.SENT and m.sent_at is not None for m in messages)
    # Nothing is sent twice.
    with pytest.raises(InvalidTransition, match="nothing to send"):
        outbox.send_outbox(generated["call"], actor=officer_of(people))


def test_an_unreachable_server_sends_nothing_and_keeps_the_queue(generated, people, app, monkeypatch) -> None:
    publish(generated, people)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    with pytest.raises(InvalidTransition, match="could not be reached"):
        outbox.send_outbox(generated["call"], actor=officer_of(people))
    db.session.rollback()
    assert {m.status for m in outbox.call_messages(generated["call"])} == {OutboxStatus.QUEUED}


def test_contradictory_decisions_for_a_proposal_block_sending(generated, people, smtp_server) -> None:
    call, proposals = generated["call"], generated["proposals"]
    # A second, unrelated run that decides differently for the same proposals (the officer finalised twice).
    second = make_finalised_run(call, [(proposals["reserve"], "selected"), (proposals["selected"], "selected")])
    db.session.commit()
    letter_service.start_letter_batch(second, actor=officer_of(people))
    db.session.commit()
    for run in (generated["run"], second):
        letter_service.publish_letters(run, actor=officer_of(people))
    db.session.commit()
    found = outbox.contradictions(call)
    assert [(c.acronym, c.decisions) for c in found] == [("EC2RESE", ["award", "reserve"])]
    with pytest.raises(InvalidTransition, match="contradictory") as refused:
        outbox.send_outbox(call, actor=officer_of(people))
    assert refused.value.details["contradictions"] == [{"proposal": proposals["reserve"].reference,
                                                        "decisions": ["award", "reserve"]}]
    assert smtp_server.messages == []
    # Cancelling the wrong message resolves it.
    wrong = db.session.scalar(sa.select(OutboxMessage).join(Letter).where(
        Letter.run_id == generated["run"].id, Letter.proposal_id == proposals["reserve"].id))
    outbox.cancel_message(wrong, actor=officer_of(people))
    db.session.commit()
    assert outbox.contradictions(call) == []
    report = outbox.send_outbox(call, actor=officer_of(people))
    assert report.queued == 7  # 5 + 3 letters of the second run (its ineligible one too), less the cancelled one
    db.session.commit()
    assert len(smtp_server.messages) == 7


def test_a_promotion_may_follow_a_sent_reserve_letter(generated, people, smtp_server) -> None:
    call, proposals = generated["call"], generated["proposals"]
    publish(generated, people)
    assert outbox.send_outbox(call, actor=officer_of(people)).queued == 5
    db.session.commit()
    assert len(smtp_server.messages) == 5
    promotion = make_finalised_run(call, [(proposals["selected"], "selected"), (proposals["reserve"], "selected")],
                                   parent=generated["run"])
    db.session.commit()
    letter_service.start_letter_batch(promotion, actor=officer_of(people))
    db.session.commit()
    letter_service.publish_letters(promotion, actor=officer_of(people))
    db.session.commit()
    assert outbox.contradictions(call) == []
    # Only the promoted proposal is written to: the others' decisions did not change.
    assert [m.letter.kind.value for m in outbox.call_messages(call) if m.status is OutboxStatus.QUEUED] == ["award"]
    assert outbox.send_outbox(call, actor=officer_of(people)).queued == 1
    db.session.commit()
    assert len(smtp_server.messages) == 6


def test_a_sent_decision_cannot_be_contradicted_by_an_unrelated_run(generated, people, smtp_server) -> None:
    call, proposals = generated["call"], generated["proposals"]
    publish(generated, people)
    outbox.send_outbox(call, actor=officer_of(people))
    db.session.commit()
    other = make_finalised_run(call, [(proposals["not_funded"], "selected")])
    db.session.commit()
    letter_service.start_letter_batch(other, actor=officer_of(people))
    db.session.commit()
    letter_service.publish_letters(other, actor=officer_of(people))
    db.session.commit()
    assert [c.decisions for c in outbox.contradictions(call)] == [["award", "rejection"]]


def test_only_officers_send_or_cancel(generated, people) -> None:
    applicant = db.session.merge(people["applicant"])
    with pytest.raises(NotAllowed):
        outbox.send_outbox(generated["call"], actor=applicant)
    message = outbox.call_messages(generated["call"])[0]
    with pytest.raises(NotAllowed):
        outbox.cancel_message(message, actor=applicant)


def test_a_sent_message_cannot_be_cancelled(generated, people, smtp_server) -> None:
    publish(generated, people)
    outbox.send_outbox(generated["call"], actor=officer_of(people))
    db.session.commit()
    message = outbox.call_messages(generated["call"])[0]
    with pytest.raises(InvalidTransition, match="sent"):
        outbox.cancel_message(message, actor=officer_of(people))


class BusyThenAccepting(Inbox):
    """Answers 451 (try again later) to the first `busy` messages, then accepts."""

    def __init__(self, busy: int, code: str = "451 Temporary local problem, try again later") -> None:
        super().__init__()
        self.busy, self.code, self.refusals = busy, code, 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refusals < self.busy:
            self.refusals += 1
            return self.code
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_with(app, monkeypatch):
    from aiosmtpd.controller import Controller

    controllers = []

    def start(handler):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def test_a_busy_server_is_tried_again_with_backoff_and_each_message_goes_once(generated, people, smtp_with,
                                                                                app, monkeypatch) -> None:
    inbox = smtp_with(BusyThenAccepting(busy=2))
    slept: list[float] = []
    monkeypatch.setitem(app.config, "MAIL_RETRY_DELAYS", "0.01,0.02,0.03")
    monkeypatch.setattr(outbox, "pause", slept.append)
    publish(generated, people)
    outbox.send_outbox(generated["call"], actor=officer_of(people))
    db.session.commit()
    assert slept == [0.01, 0.02]  # the first message waited twice, growing, then went
    assert inbox.refusals == 2
    assert len(inbox.messages) == 5
    assert {m.status for m in outbox.call_messages(generated["call"])} == {OutboxStatus.SENT}


def test_a_permanent_refusal_fails_the_message_at_once(generated, people, smtp_with, app, monkeypatch) -> None:
    inbox = smtp_with(BusyThenAccepting(busy=1, code="550 Mailbox unavailable"))
    slept: list[float] = []
    monkeypatch.setattr(outbox, "pause", slept.append)
    publish(generated, people)
    outbox.send_outbox(generated["call"], actor=officer_of(people))
    db.session.commit()
    statuses = [m.status for m in outbox.call_messages(generated["call"])]
    assert statuses.count(OutboxStatus.FAILED) == 1
    assert statuses.count(OutboxStatus.SENT) == 4
    assert len(inbox.messages) == 4
    failed = next(m for m in outbox.call_messages(generated["call"]) if m.status is OutboxStatus.FAILED)
    assert "550" in failed.error
    assert failed.attempts == 1
    assert slept == []  # a 5xx answer is not tried again


def test_a_message_claimed_by_another_worker_is_never_sent_again(generated, people, smtp_server) -> None:
    publish(generated, people)
    first = outbox.call_messages(generated["call"])[0]
    first.status = OutboxStatus.SENDING  # another worker holds it (or died after sending it)
    db.session.commit()
    outbox.send_outbox(generated["call"], actor=officer_of(people))
    db.session.commit()
    assert len(smtp_server.messages) == 4
    assert first.letter.reference not in {email.message_from_bytes(raw)["X-Eurogrants-Letter"]
                                          for _, _, raw in smtp_server.messages}
    db.session.refresh(first)
    assert first.status is OutboxStatus.SENDING
