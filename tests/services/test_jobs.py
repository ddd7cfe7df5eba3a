"""The jobs module: an explicit registry of job kinds, and each job done exactly once whatever its deliveries."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import jobs
from app.clock import utcnow
from app.enums import BatchStatus, JobStatus, Role
from app.extensions import db
from app.models import Job, Letter, LetterBatch, OutboxMessage
from app.services import letters as letter_service
from tests.factories import make_letter_scenario


@pytest.fixture
def scenario(app, app_ctx, make_user):
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    data = make_letter_scenario(applicant)
    db.session.commit()
    return data


@pytest.fixture
def queued_batch(app, scenario, make_user, monkeypatch):
    """A batch whose chunks are queued in the database but not run (as if their messages were in a broker)."""
    officer = db.session.merge(make_user(Role.OFFICER))
    monkeypatch.setattr(jobs, "dispatch", lambda app, job_ids: None)
    batch = letter_service.start_letter_batch(scenario["run"], actor=officer)
    db.session.commit()
    monkeypatch.undo()
    job_ids = list(db.session.scalars(sa.select(Job.id).order_by(Job.id)))
    return {"batch": batch.id, "jobs": job_ids, "run": scenario["run"]}


def run_in_own_session(app, job_id: int) -> None:
    """One delivery of a job, as a worker would run it: its own thread, app context and session."""
    def deliver() -> None:
        with app.app_context():
            try:
                jobs.execute(job_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=deliver)
    thread.start()
    thread.join()


def batch_state(batch_id: int) -> LetterBatch:
    db.session.expire_all()
    batch = db.session.get(LetterBatch, batch_id)
    assert batch is not None
    return batch


def test_the_job_kinds_are_an_explicit_registry() -> None:
    kinds = jobs.job_kinds()
    assert tuple(kinds) == jobs.JOB_KIND_NAMES == ("accounts.confirmation_link", "accounts.failed_logins_notice",
                                             "accounts.password_reset_link", "accounts.registration_notice",
                                             "accounts.two_factor_reset_notice",
                                             "evaluations.assignments_notice", "evaluations.remind",
                                             "letters.render", "outbox.send", "personal_data.email_confirmation",
                                             "personal_data.retention")
    assert kinds["letters.render"].run is letter_service.render_letters_job
    assert kinds["letters.render"].on_give_up is letter_service.letters_job_crashed


def test_an_unknown_kind_is_refused(app_ctx) -> None:
    with pytest.raises(ValueError, match="unknown job kind"):
        jobs.enqueue("letters.render_everything", {})


def test_a_second_delivery_of_a_finished_job_does_nothing(app, queued_batch) -> None:
    for job_id in queued_batch["jobs"]:
        run_in_own_session(app, job_id)
    before = {(x.id, x.sha256) for x in db.session.scalars(sa.select(Letter))}
    run_in_own_session(app, queued_batch["jobs"][0])
    assert {(x.id, x.sha256) for x in db.session.scalars(sa.select(Letter))} == before
    batch = batch_state(queued_batch["batch"])
    assert (batch.status, batch.total, batch.done, batch.failed) == (BatchStatus.FINISHED, 5, 5, 0)


def test_a_job_whose_worker_died_after_claiming_it_is_done_by_the_next_delivery(app, queued_batch) -> None:
    first = queued_batch["jobs"][0]
    # The first worker claimed it and was killed before its commit: RUNNING, nothing written.
    db.session.execute(sa.update(Job).where(Job.id == first).values(status=JobStatus.RUNNING, attempts=1,
                                                                    claimed_by="gone:1"))
    db.session.commit()
    for job_id in queued_batch["jobs"]:
        run_in_own_session(app, job_id)
    job = db.session.get(Job, first)
    db.session.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    batch = batch_state(queued_batch["batch"])
    assert (batch.status, batch.done, batch.failed) == (BatchStatus.FINISHED, 5, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 5


def test_two_deliveries_running_at_once_write_each_letter_once(app, queued_batch, monkeypatch) -> None:
    """The first delivery is overtaken in the middle of its chunk: a second one runs the whole job and commits
    first; the first then finds the job finished at its write phase and writes nothing."""
    render = letter_service.render_letter
    overtaken = threading.Event()
    first = queued_batch["jobs"][0]

    def render_and_be_overtaken(*args, **kwargs):
        if threading.current_thread().name == "first-delivery" and not overtaken.is_set():
            overtaken.set()
            run_in_own_session(app, first)  # the redelivered message, on another worker
        return render(*args, **kwargs)

    monkeypatch.setattr(letter_service, "render_letter", render_and_be_overtaken)

    def deliver() -> None:
        with app.app_context():
            try:
                jobs.execute(first)
            finally:
                db.session.remove()

    thread = threading.Thread(target=deliver, name="first-delivery")
    thread.start()
    thread.join()
    assert overtaken.is_set()
    for job_id in queued_batch["jobs"][1:]:
        run_in_own_session(app, job_id)
    batch = batch_state(queued_batch["batch"])
    assert (batch.status, batch.total, batch.done, batch.skipped, batch.failed) == (BatchStatus.FINISHED, 5, 5, 0, 0)
    letters = list(db.session.scalars(sa.select(Letter)))
    assert len(letters) == len({letter.proposal_id for letter in letters}) == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 5
    job = db.session.get(Job, first)
    db.session.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)


def test_a_job_that_keeps_killing_its_workers_is_given_up_and_its_letters_reported(app, queued_batch) -> None:
    first = queued_batch["jobs"][0]
    db.session.execute(sa.update(Job).where(Job.id == first).values(
        status=JobStatus.RUNNING, attempts=jobs.job_kinds()["letters.render"].max_attempts))
    db.session.commit()
    for job_id in queued_batch["jobs"]:
        run_in_own_session(app, job_id)
    job = db.session.get(Job, first)
    db.session.refresh(job)
    assert job.status is JobStatus.FAILED
    assert "given up" in job.error
    batch = batch_state(queued_batch["batch"])
    assert batch.status is BatchStatus.FINISHED_WITH_ERRORS
    assert batch.processed == batch.total == 5
    assert batch.failed == len(job.payload["proposal_ids"])


def test_the_sweep_sends_again_only_jobs_that_waited_too_long(app, queued_batch, monkeypatch) -> None:
    old, *recent = queued_batch["jobs"]
    db.session.execute(sa.update(Job).where(Job.id == old).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    sent: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", lambda app, job_ids: sent.extend(job_ids))
    assert jobs.redispatch_stale(app, older_than=timedelta(minutes=1)) == [old]
    assert sent == [old]
    # Sent again just now: the next sweep leaves it alone.
    assert jobs.redispatch_stale(app, older_than=timedelta(minutes=1)) == []
