"""Faults with a real server: a worker killed mid-submission, and 200 submissions straddling a deadline.

gunicorn (gthread workers) serves the real app on 127.0.0.1 against a private PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.server.serving import Gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.server]


def _applicants(app: Flask, count: int, *, days_left: float = 10) -> dict[str, Any]:
    """An open call and `count` applicants (own organisation each) with a ready proposal and a token."""
    from app.enums import Role
    from app.extensions import db
    from app.services.accounts import issue_token
    from tests.factories import make_open_call, make_ready_proposal, make_staff

    with app.app_context():
        call = make_open_call("FAULT-CALL", days_left=days_left, min_partners=3, min_countries=3)
        people = []
        for index in range(count):
            user = make_staff(Role.APPLICANT, f"applicant{index}@fault.test", organisation=f"Cluster {index}",
                              country="LT")
            proposal = make_ready_proposal(call, user, acronym=f"F{index}")
            people.append({"token": issue_token(user, label="fault"), "proposal": proposal.id})
        db.session.commit()
        return {"call": call.id, "people": people}


def _submit(server: Gunicorn, person: dict[str, Any], results: dict[int, Any]) -> None:
    try:
        status, body = server.request("POST", f"/api/v1/proposals/{person['proposal']}/submit",
                                      token=person["token"], body={})
    except (OSError, http.client.HTTPException) as error:
        status, body = None, repr(error)
    results[person["proposal"]] = (status, body)


def _check_records(app: Flask) -> dict[int, int]:
    """Every proposal is submitted completely or not at all; files exist. Returns {proposal id: submissions}."""
    from app.enums import ProposalStatus
    from app.extensions import db
    from app.models import AuditEvent, Document, Proposal, Submission
    from app.storage import get_storage

    counts: dict[int, int] = {}
    with app.app_context():
        storage = get_storage()
        for document in db.session.scalars(sa.select(Document)):
            assert storage.exists(document.sha256), f"document {document.id} points at a missing file"
            with storage.open(document.sha256) as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == document.sha256
        for proposal in db.session.scalars(sa.select(Proposal)):
            submissions = list(db.session.scalars(sa.select(Submission).where(Submission.proposal_id == proposal.id)))
            counts[proposal.id] = len(submissions)
            events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "proposal.submitted", AuditEvent.object_id == str(proposal.id)))
            assert events == len(submissions), proposal.reference
            if not submissions:
                assert proposal.status is ProposalStatus.DRAFT, proposal.reference
                continue
            assert proposal.status is ProposalStatus.SUBMITTED
            for submission in submissions:
                assert submission.receipt_number
                assert hashlib.sha256(submission.snapshot.encode()).hexdigest() == submission.sha256
                snapshot = json.loads(submission.snapshot)
                for annex in snapshot.get("documents", []):
                    assert storage.exists(annex["sha256"]), annex
                assert submission.submitted_at < proposal.effective_deadline
        db.session.remove()
    return counts


def _in_flight_transactions(app: Flask) -> int:
    """Sessions of the app's database inside an open transaction: submissions between snapshot and commit."""
    from app.extensions import db

    with app.app_context():
        count = db.session.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND state = 'idle in transaction'"))
        db.session.remove()
    return int(count or 0)


def test_a_worker_killed_mid_submission_leaves_nothing_half_done(server_app: Flask, server_database: str) -> None:
    """By construction: four submissions are acknowledged first; then the worker is killed while the database
    shows submissions inside their transaction (the server holds each for SUBMIT_DELAY between snapshot and
    commit), so the kill interrupts some whatever the machine's speed."""
    data = _applicants(server_app, 12)
    storage = Path(server_app.config["STORAGE_DIR"])
    began = time.monotonic()
    first, rest = data["people"][:4], data["people"][4:]
    with Gunicorn(server_database, storage, workers=1, threads=4, submit_delay=3.0) as server:
        started = time.monotonic()
        results: dict[int, Any] = {}
        early = [threading.Thread(target=_submit, args=(server, p, results)) for p in first]
        for thread in early:
            thread.start()
        for thread in early:
            thread.join(timeout=600)
        assert [results[p["proposal"]][0] for p in first] == [201] * 4, results
        victim = server.worker_pids()[0]
        threads = [threading.Thread(target=_submit, args=(server, p, results)) for p in rest]
        for thread in threads:
            thread.start()
        hang_guard = time.monotonic() + 600
        while _in_flight_transactions(server_app) < 2:
            assert time.monotonic() < hang_guard, "no submission reached its transaction"
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=600)
        acknowledged = {pid for pid, (status, _) in results.items() if status == 201}
        failed = {pid for pid, (status, _) in results.items() if status != 201}
        assert failed, f"the kill interrupted no request: {results}"
        assert all(status in (None, 500, 502) or status == 201 for status, _ in results.values()), results
        counts = _check_records(server_app)
        for pid in acknowledged:
            assert counts[pid] == 1, "an acknowledged submission was lost"
        # The applicants whose request died try again: it works (a new worker has taken the dead one's place).
        for person in data["people"]:
            if person["proposal"] in failed:
                status, body = server.request("POST", f"/api/v1/proposals/{person['proposal']}/submit",
                                              token=person["token"], body={})
                assert status == 201, body
        counts = _check_records(server_app)
        assert all(n >= 1 for n in counts.values())
        assert victim not in server.worker_pids()
    print(f"\nkill -9 (server start {started - began:.1f} s, run {time.monotonic() - started:.1f} s): {len(failed)} "
          f"in-flight submissions interrupted, {len(acknowledged)} acknowledged, all consistent, all retried")


def test_200_submissions_straddling_the_deadline(server_app: Flask, server_database: str) -> None:
    """The deadline passes in the middle of 200 concurrent submissions, placed there by construction.

    All 200 are fired at once with the deadline far ahead. Once a measured share has been acknowledged, the test
    locks every proposal row of the call (the free ones at once, then those of the submissions inside their
    transaction, once they commit), moves the deadline to that instant and commits. A submission that committed
    before holds an earlier time; every other one takes its row lock after the move, reads the new deadline and is
    refused. However slow the machine, some land before the deadline and the rest after it.
    """
    from app.clock import utcnow
    from app.extensions import db
    from app.models import Call, Proposal, Submission

    data = _applicants(server_app, 200)
    storage = Path(server_app.config["STORAGE_DIR"])
    results: dict[int, Any] = {}
    answered = threading.Condition()
    people = data["people"]

    def fire(person: dict[str, Any]) -> None:
        _submit(server, person, results)
        with answered:
            answered.notify_all()

    with Gunicorn(server_database, storage, workers=4, threads=8) as server:
        threads = [threading.Thread(target=fire, args=(p,)) for p in people]
        for thread in threads:
            thread.start()
        with answered:
            answered.wait_for(lambda: sum(status == 201 for status, _ in results.values()) >= 20, timeout=600)
        with server_app.app_context():
            of_the_call = sa.select(Proposal.id).where(Proposal.call_id == data["call"]).order_by(Proposal.id)
            # First every row no submission holds, at once: none can start from here on (a scan that waited on
            # each held row in turn would let the submissions of the rows after it slip past).
            db.session.execute(of_the_call.with_for_update(skip_locked=True))
            # Then the rows of the submissions inside their transaction, once each has committed.
            db.session.execute(of_the_call.with_for_update())
            deadline = utcnow()
            db.session.execute(sa.update(Call).where(Call.id == data["call"]).values(deadline=deadline))
            db.session.commit()
            db.session.remove()
        for thread in threads:
            thread.join(timeout=600)
    accepted = {pid for pid, (status, _) in results.items() if status == 201}
    refused = {pid: body for pid, (status, body) in results.items() if status != 201}
    assert len(results) == 200
    for pid, body in refused.items():
        assert results[pid][0] == 409, (pid, results[pid])
        assert body["error"]["code"] == "deadline_passed", body
    with server_app.app_context():
        rows = {s.proposal_id: s for s in db.session.scalars(sa.select(Submission))}
        assert set(rows) == accepted, "every 201 has its submission and every submission had its 201"
        for submission in rows.values():
            assert submission.submitted_at < deadline, (submission.submitted_at, deadline)
        db.session.remove()
    _check_records(server_app)
    assert len(accepted) >= 20, "the deadline moved only after 20 acknowledgements"
    assert refused, "no submission was refused: the test did not straddle the deadline"
    print(f"\ndeadline: {len(accepted)} accepted before it, {len(refused)} refused at or after it, none lost")


def test_the_app_survives_a_postgresql_restart_without_losing_acknowledged_work(tmp_path: Path) -> None:
    """A private PostgreSQL instance (restarting the shared one would disturb parallel test processes)."""
    from app import create_app
    from app.extensions import db
    from app.models import Submission
    from tests.conftest import make_config
    from tests.server.serving import PrivatePostgres

    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("fault tests need PostgreSQL: set TEST_DATABASE_URL (make test does)")
    pg = PrivatePostgres()
    try:
        app = create_app(make_config(pg.url, tmp_path / "storage"))
        with app.app_context():
            db.create_all()
        data = _applicants(app, 40)
        with Gunicorn(pg.url, tmp_path / "storage", workers=2, threads=4) as server:
            log: list[tuple[int, Any, Any]] = []
            people = data["people"]
            progress = threading.Condition()

            def client(share: list[dict[str, Any]]) -> None:
                for person in share:
                    results: dict[int, Any] = {}
                    _submit(server, person, results)
                    with progress:
                        log.append((person["proposal"], *results[person["proposal"]]))
                        progress.notify_all()
                    time.sleep(0.2)

            threads = [threading.Thread(target=client, args=(people[i::4],)) for i in range(4)]
            for thread in threads:
                thread.start()
            # By construction: PostgreSQL stops once 8 submissions are acknowledged (32 are still to come), and
            # starts again once a request has failed against the stopped server.
            with progress:
                progress.wait_for(lambda: sum(status == 201 for _, status, _ in log) >= 8, timeout=600)
                pg.stop()
                answered_before_stop = len(log)
                progress.wait_for(lambda: any(status != 201 for _, status, _ in log[answered_before_stop:]),
                                  timeout=600)
            pg.start()
            for thread in threads:
                thread.join(timeout=60)
            # Back: requests succeed at once, with the same gunicorn workers (pool_pre_ping drops dead connections).
            statuses = [server.request("GET", "/api/v1/me", token=people[i % 40]["token"])[0] for i in range(20)]
            assert statuses == [200] * 20, statuses
            acknowledged = {pid for pid, status, _ in log if status == 201}
            failed = {pid for pid, status, _ in log if status != 201}
            assert all(status in (201, 500, 503, None) for _, status, _ in log), log
            assert failed, "the restart interrupted no request: it came too late or too early"
            for person in people:  # the ones that failed submit again, successfully
                if person["proposal"] in failed:
                    status, body = server.request("POST", f"/api/v1/proposals/{person['proposal']}/submit",
                                                  token=person["token"], body={})
                    assert status == 201, body
        with app.app_context():
            rows = {s.proposal_id for s in db.session.scalars(sa.select(Submission))}
            assert acknowledged <= rows, "an acknowledged submission was lost in the restart"
            assert rows == {p["proposal"] for p in people}
            db.session.remove()
            db.engine.dispose()
        _check_records(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # before the private server goes: no connection left for the garbage collector
        print(f"\npostgres restart: {len(failed)} requests failed during the outage, {len(acknowledged)} acknowledged "
              "and kept, 20/20 requests fine right after, every failed one retried")
    finally:
        pg.close()
