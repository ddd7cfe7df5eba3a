"""Decision letters as state changes: a batch writes one letter per proposal and finishes, again only what is
missing, reports a failing letter and a crashed job, needs a finalised run and an officer; publishing."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.enums import BatchStatus, JobStatus, LetterKind, Role, RunStatus
from app.extensions import db
from app.letter_files import letter_pdf
from app.models import Job, Letter, LetterBatch, OutboxMessage
from app.queries.access import can_read_letter
from app.queries.letters import applicant_letters, verification_code
from app.services import letters as letter_service
from app.services.errors import InvalidTransition, NotAllowed
from app.storage import get_storage
from tests.letter_worlds import generate, letter_of


def test_batch_writes_one_letter_per_proposal_and_finishes(scenario, officer) -> None:
    batch = generate(scenario["run"], officer)
    assert batch.status is BatchStatus.FINISHED
    assert (batch.total, batch.done, batch.skipped, batch.failed) == (5, 5, 0, 0)
    kinds = dict(db.session.execute(sa.select(Letter.proposal_id, Letter.kind)).all())
    proposals = scenario["proposals"]
    assert kinds == {proposals["selected"].id: LetterKind.AWARD, proposals["reserve"].id: LetterKind.RESERVE,
                     proposals["not_funded"].id: LetterKind.REJECTION,
                     proposals["below_threshold"].id: LetterKind.REJECTION,
                     proposals["ineligible"].id: LetterKind.INELIGIBLE}
    for letter in db.session.scalars(sa.select(Letter)):
        data = letter_pdf(letter)
        assert hashlib.sha256(data).hexdigest() == letter.sha256
        assert letter.page_count == len(PdfReader(io.BytesIO(data)).pages) >= 1
        assert letter.size_bytes == len(data)
        assert letter.verification_code == verification_code(letter.reference)
    assert all(job.status is JobStatus.SUCCEEDED for job in db.session.scalars(sa.select(Job)))


def test_generating_again_is_idempotent(scenario, officer) -> None:
    generate(scenario["run"], officer)
    before = {(x.id, x.sha256, x.verification_code) for x in db.session.scalars(sa.select(Letter))}
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    second = generate(scenario["run"], officer)
    assert second.status is BatchStatus.FINISHED
    assert (second.total, second.done, second.skipped, second.failed) == (5, 0, 5, 0)
    assert {(x.id, x.sha256, x.verification_code) for x in db.session.scalars(sa.select(Letter))} == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == messages == 5


def test_a_letter_whose_pdf_went_missing_is_rendered_again_identically(scenario, officer) -> None:
    generate(scenario["run"], officer)
    letter, _ = letter_of(scenario["proposals"]["reserve"])
    get_storage().delete(letter.sha256)
    batch = generate(scenario["run"], officer)
    assert (batch.done, batch.skipped) == (1, 4)
    assert get_storage().exists(letter.sha256)


def test_a_failing_letter_is_reported_and_the_others_are_kept(scenario, officer, monkeypatch) -> None:
    original = letter_service.render_letter
    broken = scenario["proposals"]["reserve"].reference

    def render(proposal, *args, **kwargs):
        if proposal.reference == broken:
            raise RuntimeError("template exploded")
        return original(proposal, *args, **kwargs)

    monkeypatch.setattr(letter_service, "render_letter", render)
    batch = generate(scenario["run"], officer)
    assert batch.status is BatchStatus.FINISHED_WITH_ERRORS
    assert (batch.done, batch.failed) == (4, 1)
    assert batch.errors == [{"proposal": broken, "message": "RuntimeError: template exploded"}]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 4

    monkeypatch.setattr(letter_service, "render_letter", original)
    again = generate(scenario["run"], officer)
    assert (again.status, again.done, again.skipped, again.failed) == (BatchStatus.FINISHED, 1, 4, 0)


def test_a_crashed_job_counts_its_letters_as_failed(scenario, officer) -> None:
    from app.jobs.local_pool import mark_crashed

    run = scenario["run"]
    batch = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.flush()
    job = db.session.scalars(sa.select(Job)).first()
    db.session.info.pop("eurogrants.pending_jobs", None)  # keep it from running
    db.session.commit()
    mark_crashed(job.id, "BrokenProcessPool: a worker died")
    db.session.expire_all()
    batch = db.session.get(LetterBatch, batch.id)
    assert batch.failed == len(job.payload["proposal_ids"])
    assert "the background job stopped: BrokenProcessPool" in batch.errors[0]["message"]


def test_letters_need_a_finalised_run_and_an_officer(scenario, officer, make_user) -> None:
    run = scenario["run"]
    applicant = db.session.merge(make_user(Role.APPLICANT))
    with pytest.raises(NotAllowed):
        letter_service.start_letter_batch(run, actor=applicant)
    run.status = RunStatus.DRAFT
    with pytest.raises(InvalidTransition, match="finalised"):
        letter_service.start_letter_batch(run, actor=db.session.merge(officer))


def test_a_second_batch_is_refused_while_one_is_running(scenario, officer) -> None:
    run = scenario["run"]
    first = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.info.pop("eurogrants.pending_jobs", None)
    db.session.flush()
    with pytest.raises(InvalidTransition) as refused:
        letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    assert refused.value.details == {"batch": first.id}


def test_publishing_makes_letters_visible_to_their_organisation_only(scenario, officer, make_user) -> None:
    generate(scenario["run"], officer)
    owner = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    stranger = db.session.merge(make_user(Role.APPLICANT, organisation="Someone Else", country="FR"))
    assert applicant_letters(owner) == []
    count = letter_service.publish_letters(scenario["run"], actor=db.session.merge(officer))
    db.session.commit()
    assert count == 5
    assert len(applicant_letters(owner)) == 5
    assert applicant_letters(stranger) == []
    letter, _ = letter_of(scenario["proposals"]["selected"])
    assert can_read_letter(owner, letter)
    assert not can_read_letter(stranger, letter)
    assert letter_service.publish_letters(scenario["run"], actor=db.session.merge(officer)) == 0


def test_a_stalled_batch_is_closed_and_another_may_start(scenario, officer) -> None:
    from datetime import timedelta

    run = scenario["run"]
    first = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.info.pop("eurogrants.pending_jobs", None)  # its worker never runs
    db.session.commit()
    first.updated_at -= timedelta(minutes=11)
    db.session.commit()
    assert first.is_stalled()
    second = generate(run, officer)
    assert second.status is BatchStatus.FINISHED
    db.session.refresh(first)
    assert first.status is BatchStatus.FINISHED_WITH_ERRORS
    assert first.errors[-1]["message"] == "stalled; the next batch took over"



def test_the_first_job_holds_one_letter_so_the_progress_moves_from_the_first_letter(scenario, officer,
                                                                                     monkeypatch) -> None:
    """Issue 15: the progress bar sat at 0 % for the first 8 s, until a whole chunk of letters was stored."""
    monkeypatch.setattr(letter_service, "chunk_size", lambda count, workers: 5)  # a big call's chunks
    batch = generate(scenario["run"], officer)
    jobs = list(db.session.scalars(sa.select(Job).where(Job.kind == "letters.render").order_by(Job.id)))
    assert [len(job.payload["proposal_ids"]) for job in jobs] == [1, 2, 2]
    assert (batch.status, batch.done) == (BatchStatus.FINISHED, 5)
    assert letter_service.chunk_plan(94, 6) == [1, 2, 4, 6, *[6] * 13, 3]
