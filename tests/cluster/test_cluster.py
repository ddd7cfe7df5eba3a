"""The topology of `make cluster`, loaded and broken: two gunicorn app servers behind HAProxy, two Celery workers,
PostgreSQL, Redis and an S3 server, all real processes on 127.0.0.1, started once for this module.

Each fault is placed by construction, never by a wall-clock margin: an app server is killed once a measured share
of submissions has been acknowledged; a worker is killed once it has claimed a chunk of a batch that is under way;
Redis is restarted once a batch has made progress and still has work queued.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from scripts.cluster import Cluster

pytestmark = [pytest.mark.slow, pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

# A hang guard for waits on background work: a loaded CI machine takes what it takes; this only stops a hang.
HANG_GUARD_SECONDS = 900


def request(port: int, method: str, path: str, *, token: str | None = None, body: Any = None,
            timeout: float = 120) -> tuple[int | None, Any, str]:
    """One request on a new connection: (status or None if the connection failed, JSON, answering server)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        data = response.read()
        server = response.getheader("X-Eurogrants-Server", "")
    except (OSError, http.client.HTTPException):
        return None, None, ""
    finally:
        connection.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return response.status, parsed, server


def lb_port(cluster: Cluster) -> int:
    assert cluster.haproxy is not None
    return cluster.haproxy.port


def wait_for(condition, *, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"hung: {what}"
        time.sleep(0.2)


def test_every_server_reports_healthy_through_the_load_balancer(cluster: Cluster) -> None:
    servers = set()
    for _ in range(6):
        status, body, server = request(lb_port(cluster), "GET", "/healthz")
        assert status == 200, body
        assert {name: check["status"] for name, check in body["checks"].items()} == {
            "database": "ok", "redis": "ok", "storage": "ok"}
        servers.add(server)
    assert servers == {"app1", "app2"}


def test_submissions_through_the_load_balancer_survive_an_app_server_killed(cluster: Cluster,
                                                                            cluster_app: Flask) -> None:
    from tests.server.test_faults import _applicants, _check_records

    data = _applicants(cluster_app, 60)
    people = data["people"]
    results: dict[int, list[tuple[int | None, Any, str, bool]]] = {p["proposal"]: [] for p in people}
    acknowledged = threading.Condition()
    killed = threading.Event()

    def client(share: list[dict[str, Any]]) -> None:
        for person in share:
            after_kill = killed.is_set()
            status, body, server = request(lb_port(cluster), "POST", f"/api/v1/proposals/{person['proposal']}/submit",
                                           token=person["token"], body={})
            with acknowledged:
                results[person["proposal"]].append((status, body, server, after_kill))
                acknowledged.notify_all()

    threads = [threading.Thread(target=client, args=(people[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    # By construction: app1 dies once a third of the submissions are acknowledged, while the rest are to come.
    with acknowledged:
        acknowledged.wait_for(lambda: sum(s == 201 for r in results.values() for s, *_ in r) >= len(people) // 3,
                              timeout=HANG_GUARD_SECONDS)
        app1 = cluster.apps[0][0]
        app1.kill()
        app1.wait_dead()  # every process of app1 is gone: a request sent from now on cannot reach it
        killed.set()
    for thread in threads:
        thread.join(timeout=HANG_GUARD_SECONDS)
    answers = [answer for answers in results.values() for answer in answers]
    before = [a for a in answers if not a[3]]
    after = [a for a in answers if a[3]]
    assert after, "every submission was sent before the kill: nothing was left for the other server"
    # Requests sent once app1 is dead all succeed, on app2: HAProxy sends a refused connection to the other server.
    # (Those sent while it was dying may fail: they are among the ones retried below.)
    assert [(status, server) for status, _, server, _ in after] == [(201, "app2")] * len(after), after
    assert all(status in (201, 502, 503, None) for status, *_ in before), before
    # The applicants whose request died with app1 submit again: it works.
    for person in people:
        if not any(status == 201 for status, *_ in results[person["proposal"]]):
            status, body, server = request(lb_port(cluster), "POST",
                                           f"/api/v1/proposals/{person['proposal']}/submit", token=person["token"],
                                           body={})
            assert (status, server) == (201, "app2"), body
            results[person["proposal"]].append((status, body, server, True))
    counts = _check_records(cluster_app)
    # No acknowledged submission lost: every receipt a client was given is stored.
    with cluster_app.app_context():
        from app.extensions import db
        from app.models import Submission

        stored = set(db.session.scalars(sa.select(Submission.receipt_number)))
        db.session.remove()
    receipts = {body["receipt_number"] for answers in results.values() for status, body, *_ in answers
                if status == 201}
    assert receipts <= stored
    assert all(counts[p["proposal"]] >= 1 for p in people)
    lost_in_flight = sum(1 for status, *_ in before if status != 201)
    print(f"\napp server killed: {len(before)} submissions before the kill ({lost_in_flight} in flight on app1 "
          f"failed, retried fine), {len(after)} after it, all on app2; {len(receipts)} receipts, none lost")
    cluster.restart_app(0)


def _letter_batch(app: Flask, count: int, code: str) -> int:
    """A finalised run with `count` proposals (award, reserve and rejection letters) and its batch started."""
    from app.enums import Role
    from app.extensions import db
    from app.services import letters as letter_service
    from tests.factories import make_approved_consensus, make_call, make_finalised_run, make_proposal, make_staff

    with app.app_context():
        applicant = make_staff(Role.APPLICANT, f"applicant@{code.lower()}.test", organisation=f"Cluster {code}",
                               country="LT")
        officer = make_staff(Role.OFFICER, f"officer@{code.lower()}.test", organisation="Agency", country="BE")
        call = make_call(code)
        outcomes = []
        for number in range(count):
            proposal = make_proposal(call, applicant, acronym=f"{code[:3]}{number}")
            make_approved_consensus(proposal, {"relevance": "4", "quality": "3.5", "impact": str(3 + number % 3)})
            outcomes.append((proposal, ("selected", "reserve", "not_funded")[number % 3]))
        run = make_finalised_run(call, outcomes)
        db.session.commit()
        batch = letter_service.start_letter_batch(run, actor=officer)
        db.session.commit()  # dispatches the chunks to the Celery workers through Redis
        batch_id = batch.id
        db.session.remove()
    return batch_id


def _batch(app: Flask, batch_id: int) -> dict[str, Any]:
    from app.extensions import db
    from app.models import Job, LetterBatch

    with app.app_context():
        batch = db.session.get(LetterBatch, batch_id)
        assert batch is not None
        jobs = [job for job in db.session.scalars(sa.select(Job)) if job.payload.get("batch_id") == batch_id]
        state = {"processed": batch.processed, "total": batch.total, "done": batch.done, "failed": batch.failed,
                 "skipped": batch.skipped, "finished": batch.is_finished, "status": batch.status.value,
                 "errors": batch.errors, "run": batch.run_id,
                 "jobs": [(job.id, job.status.value, job.claimed_by, job.attempts) for job in jobs]}
        db.session.remove()
    return state


def _letters_exactly_once(app: Flask, run_id: int, count: int) -> None:
    from app.extensions import db
    from app.models import Letter, OutboxMessage
    from app.storage import get_storage

    with app.app_context():
        letters = list(db.session.scalars(sa.select(Letter).where(Letter.run_id == run_id)))
        assert len(letters) == count
        assert len({letter.proposal_id for letter in letters}) == count
        messages = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).join(Letter)
                                     .where(Letter.run_id == run_id))
        assert messages == count, "one notification per letter"
        storage = get_storage()
        for letter in letters[:: max(1, count // 20)]:  # a sample of the PDFs, read back from the bucket
            assert hashlib.sha256(storage.read(letter.sha256)).hexdigest() == letter.sha256
        db.session.remove()


def test_a_worker_killed_in_the_middle_of_a_200_letter_batch(cluster: Cluster, cluster_app: Flask) -> None:
    batch_id = _letter_batch(cluster_app, 200, "KILLW")
    victim = cluster.workers[0]
    mine = f":{victim.pid}"

    # By construction: the batch has made progress and the victim holds a chunk it has not finished.
    def victim_is_mid_chunk() -> bool:
        state = _batch(cluster_app, batch_id)
        assert not state["finished"], "the batch finished before the victim took a chunk"
        return state["processed"] > 0 and any(status == "running" and (claimed or "").endswith(mine)
                                              for _, status, claimed, _ in state["jobs"])

    wait_for(victim_is_mid_chunk, what="worker1 to take a chunk")
    held = [job for job in _batch(cluster_app, batch_id)["jobs"] if job[1] == "running" and job[2].endswith(mine)]
    victim.kill()  # kill -9 of the whole worker: its message stays unacknowledged in Redis
    killed_at = time.monotonic()
    wait_for(lambda: _batch(cluster_app, batch_id)["finished"], what="the batch to finish")
    state = _batch(cluster_app, batch_id)
    assert (state["status"], state["total"], state["failed"]) == ("finished", 200, 0), state["errors"]
    assert state["done"] + state["skipped"] == 200
    retaken = {job_id: (status, claimed, attempts) for job_id, status, claimed, attempts in state["jobs"]
               if job_id in {job[0] for job in held}}
    assert all(status == "succeeded" and attempts >= 2 and not claimed.endswith(mine)
               for status, claimed, attempts in retaken.values()), retaken
    _letters_exactly_once(cluster_app, state["run"], 200)
    print(f"\nworker kill -9: chunk {sorted(retaken)} held by the dead worker ran again on the other one; the batch "
          f"finished {time.monotonic() - killed_at:.0f} s after the kill with 200 letters, each once")
    cluster.restart_worker(0)


def test_a_redis_restart_during_a_batch_needs_no_operator(cluster: Cluster, cluster_app: Flask) -> None:
    assert cluster.redis is not None
    batch_id = _letter_batch(cluster_app, 60, "REDIS")

    def under_way() -> bool:
        state = _batch(cluster_app, batch_id)
        assert not state["finished"], "the batch finished before Redis could be restarted"
        return state["processed"] > 0 and any(status == "queued" for _, status, _, _ in state["jobs"])

    wait_for(under_way, what="the batch to be under way with chunks still queued")
    cluster.redis.restart()
    restarted_at = time.monotonic()
    wait_for(lambda: _batch(cluster_app, batch_id)["finished"], what="the batch to finish after the restart")
    state = _batch(cluster_app, batch_id)
    assert (state["status"], state["total"], state["failed"]) == ("finished", 60, 0), state["errors"]
    _letters_exactly_once(cluster_app, state["run"], 60)
    # The web tier reconnects as well: health and a new batch's dispatch go through the restarted Redis.
    status, body, _ = request(lb_port(cluster), "GET", "/healthz")
    assert status == 200, body
    attempts = Counter(attempts for _, _, _, attempts in state["jobs"])
    print(f"\nredis restart: the batch finished {time.monotonic() - restarted_at:.0f} s after it, 60 letters each "
          f"once; deliveries per chunk {dict(sorted(attempts.items()))}")


def test_the_login_lockout_and_rate_limit_hold_across_app_servers(cluster: Cluster, cluster_app: Flask) -> None:
    """20 simultaneous guesses spread over both servers: Redis counts them all, atomically, before any password
    is checked. The token endpoint allows 10 per minute per address; of those 10, five are checked and fail,
    the other five find the address locked."""
    from app.enums import Role
    from app.extensions import db
    from tests.factories import make_staff

    with cluster_app.app_context():
        make_staff(Role.APPLICANT, "target@lockout.test", organisation="Target", country="LT")
        db.session.commit()
        db.session.remove()
    ports = [port for _, port in cluster.apps]
    answers: list[tuple[int | None, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def guess(index: int) -> None:
        start.wait()
        status, body, _ = request(ports[index % 2], "POST", "/api/v1/tokens",
                                  body={"email": "target@lockout.test", "password": f"wrong-guess-{index}"})
        with lock:
            answers.append((status, (body or {}).get("error", {}).get("code", "")))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANG_GUARD_SECONDS)
    assert Counter(answers) == {(401, "unauthorized"): 5, (429, "too_many_attempts"): 5,
                                (429, "too_many_requests"): 10}, answers


def test_the_retention_job_runs_on_a_worker_and_empties_the_bucket(cluster: Cluster, cluster_app: Flask) -> None:
    """Retention is a job kind like the letters: queued here, run by a Celery worker, it deletes a draft whose
    deadline passed more than 90 days ago together with its annex in the bucket, and the worker appends the
    erasure to the register file (ERASURE_REGISTER, in the cluster's instance folder)."""
    from datetime import timedelta

    from app.clock import utcnow
    from app.enums import JobStatus, Role
    from app.extensions import db
    from app.models import Job, Proposal
    from app.privacy.register import read_register
    from app.services.retention import start_retention_run
    from app.storage import get_storage
    from tests.factories import make_call, make_ready_proposal, make_staff, pdf_bytes

    with cluster_app.app_context():
        call = make_call("RETAIN", deadline=(utcnow() - timedelta(days=91)).replace(microsecond=0))
        owner = make_staff(Role.APPLICANT, "owner@retain.test", organisation="Retain Solo", country="LT")
        draft = make_ready_proposal(call, owner, acronym="OLDDRAFT")
        # An annex of its own: files are stored by content, and one another proposal also holds must stay.
        data = pdf_bytes(2) + f"% OLDDRAFT {draft.reference}\n".encode()
        draft.documents[0].sha256, draft.documents[0].size_bytes = get_storage().put_bytes(data), len(data)
        draft_id, annex = draft.id, draft.documents[0].sha256
        db.session.commit()
        assert get_storage().exists(annex)
        job_id = start_retention_run().id
        db.session.commit()  # dispatched to the Celery workers through Redis
        db.session.remove()

    def finished() -> bool:
        with cluster_app.app_context():
            job = db.session.get(Job, job_id)
            done = job is not None and job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
            db.session.remove()
        return done

    wait_for(finished, what="the retention job to run")
    with cluster_app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert any(job.claimed_by.endswith(f":{worker.pid}") for worker in cluster.workers), job.claimed_by
        assert db.session.get(Proposal, draft_id) is None
        assert not get_storage().exists(annex)
        db.session.remove()
    register = read_register(cluster.state_dir / "instance" / "erasure-register.jsonl")
    assert ("draft", draft_id, "draft") in {(entry["kind"], entry["subject_id"], entry["rule"]) for entry in register}
