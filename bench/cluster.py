"""Benchmark of the multi-server topology: `python bench/cluster.py [--letters 1000]` from the project root.

It starts the topology of `make cluster` (scripts/cluster.py: PostgreSQL, Redis, moto's S3, two gunicorn app
servers, two Celery workers) with two HAProxy load balancers in front: one that sends everything to app1, one
that spreads over app1 and app2. Then, in the same run:

1. The rush through the load balancer: N applicants submit (and resubmit) their proposals, all at once, through
   the one-server balancer and the two-server one in the order one, two, two, one (twice); the ratio is the
   median, over neighbouring pairs of rounds, of the two-server throughput divided by the one-server one: the
   machine is shared, and rounds next to each other ran under about the same background load.
2. A batch of letters (1,000 by default) on one Celery worker (the other stopped), then the same batch again,
   its letters deleted, on two, then two and one again; the speed-up is the median over the neighbouring pairs
   of the time on one worker divided by the time on two.
3. The audit: every receipt a client got is stored (else `lost`), every letter is there once (else `lost` or
   `duplicated_letters`), with one notification each.

Prints readable figures and ends with ONE JSON line:
{"cluster": {"rush_two_server_ratio": x, "letters_two_worker_speedup": x, "lost": 0, "duplicated_letters": 0}}
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the project root importable
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.letters import STATUSES, delete_letters  # noqa: E402
from scripts.cluster import Cluster, Haproxy  # noqa: E402


def bench_app(cluster: Cluster) -> Any:
    from app import create_app
    from config import Config, _engine_options

    env = cluster.environment()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = env[key]
    settings = {
        "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(env["DATABASE_URL"]),
        "ARGON2_COST": (1, 1024), "SECRET_KEY": env["SECRET_KEY"], "CELERY_BROKER_URL": env["REDIS_URL"],
        **{key: env[key] for key in ("REDIS_URL", "JOBS_BACKEND", "JOBS_WORKERS", "STORAGE_BACKEND", "S3_BUCKET",
                                     "S3_PREFIX", "S3_ENDPOINT_URL", "S3_REGION", "S3_ADDRESSING_STYLE")},
    }
    return create_app(type("ClusterBenchConfig", (Config,), settings))


def setup_applicants(app: Any, count: int) -> list[dict[str, Any]]:
    from app.enums import Role
    from app.extensions import db
    from app.services.accounts import issue_token
    from tests.factories import make_open_call, make_ready_proposal, make_staff

    with app.app_context():
        call = make_open_call("RUSH-CLUSTER", days_left=10, min_partners=3, min_countries=3)
        people = []
        for index in range(count):
            user = make_staff(Role.APPLICANT, f"rush{index}@cluster.test", organisation=f"Cluster {index}",
                              country="LT")
            proposal = make_ready_proposal(call, user, acronym=f"R{index}")
            people.append({"token": issue_token(user, label="bench"), "proposal": proposal.id})
        db.session.commit()
        db.session.remove()
    return people


def submit(port: int, person: dict[str, Any]) -> tuple[int | None, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", f"/api/v1/proposals/{person['proposal']}/submit", body=b"{}",
                           headers={"Authorization": f"Bearer {person['token']}", "Content-Type": "application/json",
                                    "Connection": "close"})
        response = connection.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException):
        return None, None
    finally:
        connection.close()
    try:
        return response.status, json.loads(data) if data else None
    except ValueError:  # the balancer's own error page
        return response.status, None


def rush(port: int, people: list[dict[str, Any]], per_client: int) -> dict[str, Any]:
    """Every applicant submits `per_client` times, all at once; throughput and the receipts given."""
    receipts: list[str] = []
    failures = 0
    lock = threading.Lock()
    barrier = threading.Barrier(len(people) + 1)

    def client(person: dict[str, Any]) -> None:
        nonlocal failures
        barrier.wait()
        for _ in range(per_client):
            status, body = submit(port, person)
            with lock:
                if status == 201 and body:
                    receipts.append(body["receipt_number"])
                else:
                    failures += 1

    threads = [threading.Thread(target=client, args=(p,), daemon=True) for p in people]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"throughput": len(receipts) / elapsed, "receipts": receipts, "failures": failures, "seconds": elapsed}


def letters_run(app: Any, count: int, code: str) -> int:
    from app.enums import Role
    from app.extensions import db
    from tests.factories import make_approved_consensus, make_call, make_finalised_run, make_proposal, make_staff

    with app.app_context():
        applicant = make_staff(Role.APPLICANT, f"{code.lower()}@cluster.test", organisation=code, country="LT")
        call = make_call(code, budget=Decimal("10000000000.00"), max_awards=None)
        outcomes = []
        for number in range(count):
            proposal = make_proposal(call, applicant, acronym=f"L{number:04d}")
            make_approved_consensus(proposal, {"relevance": "4", "quality": "3.5", "impact": "4.5"})
            outcomes.append((proposal, STATUSES[number % len(STATUSES)]))
        run_id = make_finalised_run(call, outcomes).id
        db.session.commit()
        db.session.remove()
    return int(run_id)


def timed_batch(app: Any, run_id: int) -> tuple[float, dict[str, int]]:
    """Seconds from dispatch to the batch's end, and how many chunks each worker ran."""
    from collections import Counter

    from app.extensions import db
    from app.models import Job, LetterBatch, SelectionRun
    from app.services import letters

    with app.app_context():
        run = db.session.get(SelectionRun, run_id)
        batch = letters.start_letter_batch(run, actor=None)
        started = time.perf_counter()
        db.session.commit()  # sends the chunks to the workers
        batch_id = batch.id
        while True:
            db.session.expire_all()
            current = db.session.get(LetterBatch, batch_id)
            if current is not None and current.is_finished:
                elapsed = time.perf_counter() - started
                if current.failed:
                    raise RuntimeError(f"{current.failed} letters failed: {current.errors[:3]}")
                break
            db.session.rollback()
            time.sleep(0.1)
        spread = Counter(str(job.result.get("worker", "?")).split("@")[0] for job in db.session.scalars(
            sa.select(Job).where(Job.status == "succeeded")) if job.payload.get("batch_id") == batch_id)
        db.session.remove()
    return elapsed, dict(spread)


def letter_audit(app: Any, run_id: int, count: int) -> tuple[int, int]:
    """(letters missing, letters or notifications duplicated) of a run."""
    from app.extensions import db
    from app.models import Letter, OutboxMessage

    with app.app_context():
        rows = db.session.execute(sa.select(Letter.proposal_id).where(Letter.run_id == run_id)).scalars().all()
        messages = db.session.execute(sa.select(OutboxMessage.letter_id).join(Letter)
                                      .where(Letter.run_id == run_id)).scalars().all()
        db.session.remove()
    missing = count - len(set(rows))
    duplicated = (len(rows) - len(set(rows))) + (len(messages) - len(set(messages)))
    return missing, duplicated


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--submissions", type=int, default=4, help="per client and round")
    parser.add_argument("--rush-repeats", type=int, default=2, help="times the one-two-two-one sequence runs")
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--letter-rounds", type=int, default=2, choices=[1, 2],
                        help="batches per worker count (2: one, two, two, one)")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="eurogrants-bench-cluster-"))
    cluster = Cluster(state, data_root=Path(tempfile.mkdtemp(prefix="eurogrants-bench-cluster-pg-")))
    started = time.perf_counter()
    single: Haproxy | None = None
    try:
        cluster.start(seed=False)
        assert cluster.haproxy is not None  # noqa: S101
        single = Haproxy(state / "haproxy-single", cluster.logs, [cluster.apps[0][1]],
                         server_maxconn=cluster.server_maxconn(servers=1)).start()
        print(f"topology up in {time.perf_counter() - started:.0f} s (2 app servers x 2 gthread workers x 4 threads, "
              f"2 Celery workers); load average {os.getloadavg()[0]:.1f}")
        app = bench_app(cluster)
        people = setup_applicants(app, args.clients)
        submit(cluster.haproxy.port, people[0])  # warm both paths
        submit(single.port, people[0])
        rounds: dict[str, list[dict[str, Any]]] = {"one": [], "two": []}
        # ABBA, repeated: each pair of neighbouring rounds (one and two servers) ran under about the same
        # background load, and the median of the pairs' ratios ignores a pair that a burst of load split.
        order = ("one", "two", "two", "one") * args.rush_repeats
        for name in order:
            port = single.port if name == "one" else cluster.haproxy.port
            result = rush(port, people, args.submissions)
            rounds[name].append(result)
            print(f"rush through the balancer, {name} app server{'s' if name == 'two' else ''}: "
                  f"{result['throughput']:.0f} submissions/s ({len(result['receipts'])} in {result['seconds']:.1f} s, "
                  f"{result['failures']} failed); load average {os.getloadavg()[0]:.1f}")
        pair_ratios = sorted(two["throughput"] / one["throughput"]
                             for one, two in zip(rounds["one"], rounds["two"], strict=True))
        ratio = statistics.median(pair_ratios)
        receipts = [receipt for results in rounds.values() for r in results for receipt in r["receipts"]]
        with app.app_context():
            from app.extensions import db
            from app.models import Submission

            stored = set(db.session.scalars(sa.select(Submission.receipt_number)))
            db.session.remove()
        lost = sum(1 for receipt in receipts if receipt not in stored)
        failures = sum(r["failures"] for results in rounds.values() for r in results)

        run_id, warm_up = letters_run(app, args.letters, "LETTERS-CLUSTER"), letters_run(app, 16, "LETTERS-WARM-UP")
        timed_batch(app, warm_up)  # both workers load their fonts and style sheet before any timing
        times: dict[str, list[float]] = {"one": [], "two": []}
        duplicated = 0
        for name in ("one", "two", "two", "one")[: 4 if args.letter_rounds == 2 else 2]:
            delete_letters(app, run_id)
            if name == "one":
                cluster.workers[1].stop()
            elif not cluster.workers[1].alive():
                cluster.restart_worker(1)
                delete_letters(app, warm_up)
                timed_batch(app, warm_up)
            seconds, spread = timed_batch(app, run_id)
            missing, duplicates = letter_audit(app, run_id, args.letters)
            lost, duplicated = lost + missing, duplicated + duplicates
            times[name].append(seconds)
            print(f"{args.letters} letters on {name} Celery worker{'s' if name == 'two' else ''}: {seconds:.1f} s "
                  f"({seconds / args.letters * 1000:.0f} ms per letter; chunks per worker {spread}); load average "
                  f"{os.getloadavg()[0]:.1f}")
        # Neighbouring batches (one, two), (two, one) ran under about the same background load.
        pair_speedups = [one / two for one, two in zip(times["one"], times["two"], strict=True)]
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        if single is not None:
            single.stop()
        cluster.stop()
        if cluster.postgres is not None:
            cluster.postgres.remove()
    speedup = statistics.median(pair_speedups)
    print(f"rush: two servers / one = {ratio:.2f}, the median of the pairs {[round(r, 2) for r in pair_ratios]} "
          f"(goal >= 0.95 on 2 cores); {failures} requests failed, "
          f"{len(receipts)} receipts, lost {lost}")
    print(f"letters: one worker / two = {speedup:.2f}x, the median of the pairs "
          f"{[round(x, 2) for x in pair_speedups]} (goal >= 1.6 on 2 cores); duplicated {duplicated}")
    print(f"total {time.perf_counter() - started:.0f} s")
    print(json.dumps({"cluster": {"rush_two_server_ratio": round(ratio, 3),
                                  "letters_two_worker_speedup": round(speedup, 3), "lost": lost,
                                  "duplicated_letters": duplicated}}))
    return 0 if lost == 0 and duplicated == 0 and failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
