"""Benchmark of letter generation: `python bench/letters.py` from the project root.

Renders 200 letters through our pipeline (a batch: database, Jinja, WeasyPrint with the shared FontConfiguration,
storage, the letter rows and e-mails) on a process pool of one worker, then of two, and the same 200 HTML documents
with bare WeasyPrint in this process. Prints readable figures, then ONE JSON line:
{"letters": {"per_core_ratio": x, "two_process_speedup": x, "ms_per_letter": x}}

- per_core_ratio: our letters per second on one worker / bare WeasyPrint's letters per second (target >= 0.8);
- two_process_speedup: the batch's time on one worker / on two (target >= 1.7 on two free cores);
- ms_per_letter: our time per letter on one worker.
The pools are warmed up first (a long-lived pool is what a server has): process start-up is not measured.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

LETTERS = 200
STATUSES = ("selected", "reserve", "not_funded", "below_threshold")


def build(app):  # type: ignore[no-untyped-def]
    """A call with LETTERS proposals (every kind of letter) and a small warm-up call; their finalised runs."""
    from app.enums import OrganisationType, Role
    from app.extensions import db
    from app.services.accounts import create_user
    from tests.factories import make_approved_consensus, make_call, make_finalised_run, make_proposal

    with app.app_context():
        db.create_all()
        applicant = create_user(None, email="bench@example.test", password="Quiet-harbour-7391", full_name="Bench",
                                roles=[Role.APPLICANT], organisation_name="Bench Cluster", country="LT",
                                organisation_type=OrganisationType.CLUSTER)
        runs = {}
        for code, count in (("BENCH-WARMUP", 6), ("BENCH-LETTERS", LETTERS)):
            call = make_call(code, budget=Decimal("100000000.00"), max_awards=None)
            outcomes = []
            for number in range(count):
                proposal = make_proposal(call, applicant, acronym=f"B{number:04d}")
                status = "ineligible" if number % 10 == 9 else STATUSES[number % len(STATUSES)]
                if status == "ineligible":
                    proposal.eligibility_reason = "Fewer than 3 partners from 3 eligible countries."
                else:
                    make_approved_consensus(proposal, {"relevance": "4", "quality": "3.5", "impact": "4.5"})
                outcomes.append((proposal, status))
            runs[code] = make_finalised_run(call, outcomes).id
        db.session.commit()
        return runs


def delete_letters(app, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """The run's letters, their e-mails, batches and every job row go, so that the next batch renders them all."""
    from app.extensions import db
    from app.models import Job, Letter, LetterBatch, OutboxMessage

    with app.app_context():
        letters = sa.select(Letter.id).where(Letter.run_id == run_id)
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.letter_id.in_(letters)))
        db.session.execute(sa.delete(Letter).where(Letter.run_id == run_id))
        db.session.execute(sa.delete(LetterBatch).where(LetterBatch.run_id == run_id))
        db.session.execute(sa.delete(Job))
        db.session.commit()
        db.session.remove()


def reset(app, run_id: int) -> None:  # type: ignore[no-untyped-def]
    delete_letters(app, run_id)
    with app.app_context():
        for path in Path(app.config["STORAGE_DIR"]).rglob("*"):
            if path.is_file():
                path.unlink()


def run_batch(app, run_id: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds from starting the batch to its last letter."""
    from app.enums import BatchStatus
    from app.extensions import db
    from app.models import LetterBatch, SelectionRun
    from app.services import letters

    with app.app_context():
        started = time.perf_counter()
        batch = letters.start_letter_batch(db.session.get(SelectionRun, run_id), actor=None)
        batch_id = batch.id
        db.session.commit()
        while True:
            db.session.expire_all()
            batch = db.session.get(LetterBatch, batch_id)
            if batch.is_finished:
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        if batch.status is not BatchStatus.FINISHED:
            raise SystemExit(f"the batch failed: {batch.errors[:3]}")
        return elapsed


def on_pool(app, runs: dict[str, int], workers: int) -> float:  # type: ignore[no-untyped-def]
    from app import jobs

    jobs.shutdown()
    app.config["JOBS_WORKERS"] = workers
    reset(app, runs["BENCH-WARMUP"])
    run_batch(app, runs["BENCH-WARMUP"])  # starts the workers and loads their fonts
    reset(app, runs["BENCH-LETTERS"])
    elapsed = run_batch(app, runs["BENCH-LETTERS"])
    jobs.shutdown()
    return elapsed


def bare(app, run_id: int) -> float:  # type: ignore[no-untyped-def]
    """The same HTML and style sheet through bare WeasyPrint in this process (its defaults: fonts and the style
    sheet loaded for every document, no fetcher)."""
    from weasyprint import CSS, HTML

    from app.extensions import db
    from app.letter_files import LETTER_STYLESHEETS, letter_html
    from app.models import SelectionRun
    from app.pdf import BASE_URL
    from app.queries.letters import approved_reports, letter_proposals, letter_targets

    with app.app_context():
        run = db.session.get(SelectionRun, run_id)
        targets = letter_targets(run)
        proposals = letter_proposals(targets.outcomes)
        reports = approved_reports(targets.outcomes)
        documents = [letter_html(p, run, targets.outcomes[p.id], reports.get(p.id), rules=targets.rules)
                     for p in proposals]
    sheets = [BASE_URL + name for name in LETTER_STYLESHEETS]
    HTML(string=documents[0], base_url=BASE_URL).write_pdf(stylesheets=[CSS(url=u) for u in sheets])  # warm up
    started = time.perf_counter()
    for html in documents:
        HTML(string=html, base_url=BASE_URL).write_pdf(stylesheets=[CSS(url=u) for u in sheets])
    return time.perf_counter() - started


def main() -> None:
    from app import create_app
    from config import Config

    workdir = Path(tempfile.mkdtemp(prefix="eurogrants-bench-letters-"))
    config = type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"timeout": 30}},
        "STORAGE_DIR": str(workdir / "storage"), "JOBS_INLINE": False, "SECRET_KEY": "bench-secret",
    })
    app = create_app(config)
    runs = build(app)
    one = on_pool(app, runs, 1)
    two = on_pool(app, runs, 2)
    plain = bare(app, runs["BENCH-LETTERS"])
    figures = {
        "per_core_ratio": round(plain / one, 3),
        "two_process_speedup": round(one / two, 3),
        "ms_per_letter": round(1000 * one / LETTERS, 1),
    }
    print(f"{LETTERS} letters: one worker {one:.2f} s ({1000 * one / LETTERS:.1f} ms/letter), "
          f"two workers {two:.2f} s, bare WeasyPrint {plain:.2f} s ({1000 * plain / LETTERS:.1f} ms/letter)")
    print(f"per-core throughput vs bare WeasyPrint: {figures['per_core_ratio']:.2f} (target >= 0.8); "
          f"two-process speed-up: {figures['two_process_speedup']:.2f}x (target >= 1.7)")
    print(json.dumps({"letters": figures}))


if __name__ == "__main__":
    main()
