"""The real process pool: a run's letters are rendered by worker processes that build their own app."""

from __future__ import annotations

import hashlib
import time

import pytest
import sqlalchemy as sa

from app import create_app, jobs
from app.enums import BatchStatus, JobStatus, Role
from app.extensions import db
from app.letter_files import render_letter
from app.models import Job, Letter, LetterBatch
from app.queries.letters import approved_reports
from app.queries.outcomes import run_outcomes
from app.services import letters as letter_service
from tests.conftest import make_config
from tests.factories import make_approved_consensus, make_call, make_finalised_run, make_proposal

pytestmark = pytest.mark.slow


@pytest.fixture
def pool_app(app, database_url):
    """The suite's database and storage, with jobs going to a real process pool."""
    pooled = create_app(make_config(database_url, app.config["STORAGE_DIR"], JOBS_INLINE=False, JOBS_WORKERS=2))
    yield pooled
    jobs.shutdown()
    with pooled.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_batch_runs_on_two_worker_processes_and_renders_what_the_web_process_would(pool_app, make_user):
    with pool_app.app_context():
        applicant = db.session.merge(make_user(Role.APPLICANT))
        officer = db.session.merge(make_user(Role.OFFICER))
        call = make_call("POOL-CALL")
        outcomes = []
        for number in range(12):  # enough letters for several chunks on each process
            proposal = make_proposal(call, applicant, acronym=f"POOL{number}")
            make_approved_consensus(proposal, {"relevance": "4", "quality": "3.5", "impact": str(3 + number % 3)})
            outcomes.append((proposal, "selected" if number < 4 else "reserve" if number < 8 else "not_funded"))
        run = make_finalised_run(call, outcomes)
        db.session.commit()
        batch = letter_service.start_letter_batch(run, actor=officer)
        batch_id = batch.id
        db.session.commit()
        deadline = time.monotonic() + 180
        while True:
            db.session.expire_all()
            batch = db.session.get(LetterBatch, batch_id)
            if batch.is_finished or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert batch.status is BatchStatus.FINISHED, batch.errors
        assert (batch.total, batch.done, batch.failed) == (12, 12, 0)
        finished = db.session.scalars(sa.select(Job)).all()
        assert len(finished) == 12
        assert all(job.status is JobStatus.SUCCEEDED for job in finished)
        import os

        pids = {job.result["pid"] for job in finished}
        assert os.getpid() not in pids
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 12
        assert len(pids) == 2, "both worker processes took chunks"
        # A worker's PDF is byte for byte what this process renders.
        outcomes = run_outcomes(run)
        for letter in db.session.scalars(sa.select(Letter)):
            proposal = letter.proposal
            report = approved_reports([proposal.id]).get(proposal.id)
            again = render_letter(proposal, run, outcomes.by_reference()[proposal.reference], report,
                                  rules=outcomes.rules)
            assert hashlib.sha256(again.pdf).hexdigest() == letter.sha256
