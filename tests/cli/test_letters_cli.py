"""`flask letters generate --run ID`: the same batch as the web, with a progress bar; safe to run again."""

from __future__ import annotations

import zipfile

from app.enums import Role
from app.extensions import db
from tests.factories import make_letter_scenario


def test_generate_prints_a_progress_bar_and_is_idempotent(app, make_user, tmp_path) -> None:
    with app.app_context():
        data = make_letter_scenario(db.session.merge(make_user(Role.APPLICANT)))
        db.session.commit()
        run_id = data["run"].id
    runner = app.test_cli_runner()
    target = tmp_path / "letters.zip"
    first = runner.invoke(args=["letters", "generate", "--run", str(run_id), "--zip", str(target)])
    assert first.exit_code == 0, first.output
    assert "SMP-COSME-2021-CLUSTER-01 run 1" in first.output
    assert "5/5" in first.output
    assert "Finished: 5 rendered, 0 already there, 0 failed, of 5." in first.output
    assert len(zipfile.ZipFile(target).namelist()) == 6
    second = runner.invoke(args=["letters", "generate", "--run", str(run_id)])
    assert second.exit_code == 0, second.output
    assert "0 rendered, 5 already there" in second.output
    listing = runner.invoke(args=["letters", "list", "--run", str(run_id)])
    assert listing.output.count("not published") == 5


def test_generate_explains_what_is_wrong(app) -> None:
    result = app.test_cli_runner().invoke(args=["letters", "generate", "--run", "999"])
    assert result.exit_code != 0
    assert "There is no selection run 999." in result.output


def test_send_without_smtp_keeps_the_queue(app, make_user) -> None:
    with app.app_context():
        data = make_letter_scenario(db.session.merge(make_user(Role.APPLICANT)))
        db.session.commit()
        run_id, code = data["run"].id, data["call"].code
    runner = app.test_cli_runner()
    runner.invoke(args=["letters", "generate", "--run", str(run_id)])
    result = runner.invoke(args=["letters", "send", "--call", code])
    assert result.exit_code != 0
    assert "Publish the letters" in result.output


def test_send_waits_for_the_background_job_and_reports_what_went(app, make_user, monkeypatch) -> None:
    from aiosmtpd.controller import Controller

    from tests.services.test_outbox import Inbox
    from tests.support import free_port

    with app.app_context():
        officer = make_user(Role.OFFICER)
        data = make_letter_scenario(db.session.merge(make_user(Role.APPLICANT)))
        db.session.commit()
        run_id, code = data["run"].id, data["call"].code
    runner = app.test_cli_runner()
    runner.invoke(args=["letters", "generate", "--run", str(run_id)])
    with app.app_context():
        from app.models import SelectionRun
        from app.services import letters as letter_service

        letter_service.publish_letters(db.session.get(SelectionRun, run_id), actor=db.session.merge(officer))
        db.session.commit()
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        result = runner.invoke(args=["letters", "send", "--call", code])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "5 queued for sending: 5 sent, 0 failed, 0 still sending, 0 not sent." in result.output
    assert len(inbox.messages) == 5
