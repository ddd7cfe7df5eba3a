"""`flask evaluations remind`, for cron: the reminders through the job queue, idempotent."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Call
from tests.factories import make_evaluation_setup


def test_remind_sends_once_and_says_how_many(app, mailbox, evaluation_clock) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        world = make_evaluation_setup(code="CLI-REMIND", proposals=1, evaluators=3)
        evaluation_clock[0] = db.session.get(Call, world.call_id).evaluation_deadline - timedelta(days=2)
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["evaluations", "remind"])
    assert first.exit_code == 0, first.output
    assert "Reminders sent to 3 evaluator(s) for 3 assignment(s); 0 could not be sent." in first.output
    assert sorted(recipients[0] for recipients, _, _ in mailbox.messages) == sorted(world.evaluator_emails)
    again = runner.invoke(args=["evaluations", "remind"])
    assert "Reminders sent to 0 evaluator(s) for 0 assignment(s)" in again.output
    assert len(mailbox.messages) == 3


def test_remind_with_a_shorter_window_waits(app, mailbox, evaluation_clock) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        world = make_evaluation_setup(code="CLI-WAIT", proposals=1, evaluators=3)
        evaluation_clock[0] = db.session.get(Call, world.call_id).evaluation_deadline - timedelta(days=2)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["evaluations", "remind", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert mailbox.messages == []
