"""Benchmark of selection: `python bench/selection.py` (or `python -m bench.selection`) from the project root.

Prints readable figures, then one JSON line for CI:
{"selection": {"seconds_10k": x, "ranking_p95_ms": x, "queries_small": n, "queries_large": n,
               "proposals_p95_ms": x}}

- seconds_10k: `select` in-process on 10,000 proposals with 3 criteria (target < 0.2 s);
- (printed only) `python -m scoring select` on the same 10,000 proposals against the floor of merely parsing the same
  JSON file in the same interpreter, both as processes of their own (target: under 0.2 s over that floor);
- ranking_p95_ms: the officer's ranking page at 5,000 proposals, p95 over the timed requests (through the whole
  Flask stack: login session, database, scoring, charts, template);
- queries_small / queries_large: SQL statements of that page at 50 and at 5,000 proposals (must be equal);
- proposals_p95_ms: the officer's proposals list (`/manage/calls/<code>/proposals`, its first page) at 5,000
  proposals, p95 over the timed requests (its query count at both sizes is printed and must be equal too).
The CSV and XLSX exports at 5,000 proposals are timed too (printed, median and p95). The web part runs on a
temporary SQLite file, or on BENCH_DATABASE_URL (e.g. a PostgreSQL URL) when it is set.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if __package__ in (None, ""):  # run as a script: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from scoring import (  # noqa: E402
    Candidate,
    CriterionRule,
    Rules,
    canonical_json,
    input_to_dict,
    parse_input,
    read_json,
    select,
    selection_to_dict,
)

if TYPE_CHECKING:
    from app.models import Call

SEED = 20211207
RUNS = 11
STRANDS = ("Open", "Tourism", "Digital", "Health", "Textile", "Retail", "Construction", "Agri-food")


def make_call(n: int, *, seed: int = SEED) -> tuple[Rules, list[Candidate]]:
    """A Euroclusters-like call with `n` proposals and 3 criteria, the same for the same seed."""
    rng = random.Random(seed)
    rules = Rules(
        criteria=(
            CriterionRule("relevance", Decimal(5), Decimal(1), Decimal(3)),
            CriterionRule("quality", Decimal(5), Decimal(1), Decimal(3)),
            CriterionRule("impact", Decimal(5), Decimal("1.5"), None),
        ),
        overall_threshold=Decimal(10),
        tie_break=("relevance", "impact"),
        budget=Decimal("42000000.00"),
        max_awards=30,
        budget_policy="skip",
        reserve_size=10,
        coverage="strand",
    )
    candidates = [
        Candidate(
            id=f"EC-{number:05d}",
            requested=Decimal(rng.randrange(20_000_000, 140_000_001)) / 100,
            eligible=rng.random() > 0.05,
            scores={key: _score(rng) for key in ("relevance", "quality", "impact")},
            fields={"strand": rng.choice(STRANDS)},
        )
        for number in range(1, n + 1)
    ]
    rng.shuffle(candidates)
    return rules, candidates


def _score(rng: random.Random) -> Decimal:
    """A consensus score as evaluators give them: mostly 2.5 to 4.5, in half points from 0 to 5."""
    return Decimal(min(10, max(0, round(rng.gauss(7, 1.8))))) / 2


def _timings(action: Callable[[], object], runs: int) -> dict[str, float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return {"best": min(timings), "median": statistics.median(timings)}


def measure_select(n: int, *, runs: int = RUNS) -> dict[str, float]:
    """Time `select` in-process on `n` generated proposals: best and median of `runs` runs, in seconds."""
    rules, candidates = make_call(n)
    return _timings(lambda: select(rules, candidates), runs)


def measure_snapshot_rerun(n: int, *, runs: int = 5) -> dict[str, float]:
    """Time a re-run from a stored snapshot, as the web app and the CLI do: read the JSON, check it, select,
    and write the output JSON. Best and median of `runs` runs, in seconds."""
    snapshot = canonical_json(input_to_dict(*make_call(n)))
    return _timings(lambda: canonical_json(selection_to_dict(select(*parse_input(read_json(snapshot))))), runs)


CLI_RUNS = 7
# The floor: the same interpreter starting, reading the file and parsing its JSON, and nothing else.
FLOOR = "import json, sys; json.loads(open(sys.argv[1], encoding='utf-8-sig').read())"


def measure_cli(n: int, *, runs: int = CLI_RUNS) -> dict[str, float]:
    """`python -m scoring select FILE` on `n` generated proposals, and the floor (`FLOOR` on the same file), each a
    process of its own, taken in turns. Returns the best of `runs` of each, in seconds of the process's CPU time (user
    and system: what it costs, whatever else the machine runs) and of wall-clock time, and the cost over the floor."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="eurogrants-bench-cli-") as folder:
        path = Path(folder) / "input.json"
        path.write_text(canonical_json(input_to_dict(*make_call(n))), encoding="utf-8")
        commands = {"cli": [sys.executable, "-m", "scoring", "select", str(path)],
                    "floor": [sys.executable, "-c", FLOOR, str(path)]}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        wall: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                before, start = _children_cpu(), time.perf_counter()
                subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, check=True)
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(_children_cpu() - before)
    return {"cli": min(cpu["cli"]), "floor": min(cpu["floor"]), "over_floor": min(cpu["cli"]) - min(cpu["floor"]),
            "cli_wall": min(wall["cli"]), "floor_wall": min(wall["floor"])}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------- the web part

WEB_SMALL, WEB_LARGE = 50, 5_000
PAGE_RUNS = 15
BENCH_PASSWORD = "Quiet-harbour-7391"  # a throwaway account in a throwaway database


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[index]


def build_web_app():  # type: ignore[no-untyped-def]
    """The app on a fresh database (a temporary SQLite file unless BENCH_DATABASE_URL is set)."""
    from app import create_app
    from config import Config

    workdir = Path(tempfile.mkdtemp(prefix="eurogrants-bench-selection-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    options: dict[str, object] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    config = type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options, "STORAGE_DIR": str(workdir / "storage"),
        "SECRET_KEY": "bench-secret", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TESTING": True,
        "ARGON2_COST": (1, 1024),
    })
    return create_app(config)


BENCH_DEADLINE = "2021-12-07T16:00:00+00:00"


def populate(app, sizes: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """One Euroclusters-like call per code with `size` submitted proposals, each with a coordinator, a submission
    and an approved consensus (3 criteria), written with bulk inserts; and an officer account."""
    from app.enums import OrganisationType, Role
    from app.extensions import db
    from app.models import ConsensusReport, ConsensusScore, Partner, Proposal, Submission
    from app.services.accounts import create_user, find_or_create_organisation

    rng = random.Random(SEED)
    with app.app_context():
        db.drop_all()
        db.create_all()
        create_user(None, email="officer@bench.test", password=BENCH_PASSWORD, full_name="Bench Officer",
                    roles=[Role.OFFICER], organisation_name="Bench Agency", country="BE",
                    organisation_type=OrganisationType.PUBLIC_AUTHORITY)
        applicant = create_user(None, email="applicant@bench.test", password=BENCH_PASSWORD, full_name="Bench",
                                roles=[Role.APPLICANT], organisation_name="Bench Cluster", country="LT",
                                organisation_type=OrganisationType.CLUSTER)
        organisation = find_or_create_organisation("Bench Cluster", "LT", OrganisationType.CLUSTER)
        db.session.flush()
        first_id = 1
        for code, size in sizes.items():
            call = _bench_call(code)
            db.session.add(call)
            db.session.flush()
            rows = _bench_rows(call, size, first_id, rng, organisation_id=organisation.id, applicant_id=applicant.id)
            for model, values in zip((Proposal, Partner, Submission, ConsensusReport, ConsensusScore), rows,
                                     strict=True):
                db.session.execute(sa.insert(model), values)
            first_id += size
        db.session.commit()


def _bench_call(code: str) -> Call:
    """A Euroclusters-like call (not yet added to the session)."""
    from datetime import UTC, datetime

    from app.enums import CallKind
    from app.models import Call, Criterion

    return Call(
        code=code, title=f"Benchmark call {code}", programme="Bench", kind=CallKind.GRANT, description="",
        opens_at=datetime(2021, 9, 30, tzinfo=UTC), deadline=datetime.fromisoformat(BENCH_DEADLINE),
        budget=Decimal("42000000.00"), max_awards=30, max_grant_per_proposal=Decimal("1400000.00"),
        strands=list(STRANDS), overall_threshold=Decimal(10), tie_break=["relevance", "impact", "quality"],
        coverage_field="strand", reserve_size=10,
        criteria=[Criterion(key=key, name=key.title(), max_score=Decimal(5), weight=Decimal(1),
                            threshold=Decimal(3), position=position)
                  for position, key in enumerate(("relevance", "quality", "impact"), start=1)],
    )


def _bench_rows(call: Call, size: int, first_id: int, rng: random.Random, *, organisation_id: int,
                applicant_id: int) -> tuple[list[dict[str, object]], ...]:
    """The rows of the call's proposals, coordinators, submissions, consensus reports and scores (ids from
    `first_id`; about 3 in 100 proposals ineligible, without a report)."""
    from datetime import datetime

    from app.enums import Eligibility, OrganisationType, ProposalStatus, ReportStatus

    deadline = datetime.fromisoformat(BENCH_DEADLINE)
    criteria = [(criterion.id, criterion.key) for criterion in call.criteria]
    proposals: list[dict[str, object]] = []
    partners: list[dict[str, object]] = []
    submissions: list[dict[str, object]] = []
    reports: list[dict[str, object]] = []
    scores: list[dict[str, object]] = []
    for number in range(1, size + 1):
        row_id = first_id + number - 1  # a proposal's id is its report's id too
        reference = f"{call.code}-{number:05d}"
        eligible = rng.random() > 0.03
        proposals.append({
            "id": row_id, "call_id": call.id, "number": number, "reference": reference,
            "organisation_id": organisation_id, "created_by_id": applicant_id,
            "status": ProposalStatus.SUBMITTED, "acronym": f"BENCH{number:05d}", "title": f"Proposal {number}",
            "abstract": "", "strand": rng.choice(STRANDS), "duration_months": 36,
            "requested_grant": Decimal(rng.randrange(50_000, 140_001)) * 10,
            "eligibility": Eligibility.ELIGIBLE if eligible else Eligibility.INELIGIBLE,
        })
        partners.append({"proposal_id": row_id, "position": 0, "is_coordinator": True,
                         "name": f"Cluster {number}", "country": rng.choice(("LT", "FI", "PT", "DE", "FR")),
                         "organisation_type": OrganisationType.CLUSTER, "contact_email": ""})
        submissions.append({"proposal_id": row_id, "version": 1, "receipt_number": f"R-{reference}",
                            "snapshot": "{}", "sha256": "0" * 64, "submitted_at": deadline,
                            "submitted_by_id": applicant_id})
        if eligible:
            reports.append({"id": row_id, "proposal_id": row_id, "status": ReportStatus.APPROVED,
                            "overall_comment": "Consensus reached.", "approved_at": deadline})
            scores.extend({"report_id": row_id, "criterion_id": criterion_id, "score": _score(rng),
                           "comment": f"Consensus on {key}."} for criterion_id, key in criteria)
    return proposals, partners, submissions, reports, scores


def _logged_in_client(app):  # type: ignore[no-untyped-def]
    from tests.two_factor import sign_in

    client = app.test_client()
    # Officers sign in with two factors: the first log-in sets it up through its pages, as a new officer would.
    response = sign_in(app, client, "officer@bench.test", BENCH_PASSWORD)
    assert response.status_code == 302, "the benchmark officer could not log in"
    return client


def count_queries(app, client, path: str) -> int:  # type: ignore[no-untyped-def]
    """SQL statements one GET of `path` runs (the session's user and roles included)."""
    from tests.factories import QueryCounter

    with app.app_context(), QueryCounter() as counter:  # leaves out a session's once-a-minute last-seen write
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return counter.count


def time_get(client, path: str, runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median and p95 of `runs` GETs of `path` (after one warm-up), in milliseconds."""
    client.get(path)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return {"median": statistics.median(timings), "p95": _percentile(timings, 0.95), "bytes": len(response.data)}


def measure_web(*, small: int = WEB_SMALL, large: int = WEB_LARGE, runs: int = PAGE_RUNS) -> dict[str, object]:
    """The ranking page and the exports through the Flask stack, and the page's query count at two sizes."""
    app = build_web_app()
    populate(app, {"BENCH-SMALL": small, "BENCH-LARGE": large})
    client = _logged_in_client(app)
    small_path, large_path = "/manage/calls/BENCH-SMALL/ranking", "/manage/calls/BENCH-LARGE/ranking"
    client.get(small_path)  # warm the template cache before counting
    figures: dict[str, object] = {
        "queries_small": count_queries(app, client, small_path),
        "queries_large": count_queries(app, client, large_path),
        "page": time_get(client, large_path, runs),
        "csv": time_get(client, "/manage/calls/BENCH-LARGE/ranking.csv", max(3, runs // 3)),
        "xlsx": time_get(client, "/manage/calls/BENCH-LARGE/ranking.xlsx", max(3, runs // 3)),
        "queries_csv_small": count_queries(app, client, "/manage/calls/BENCH-SMALL/ranking.csv"),
        "queries_csv_large": count_queries(app, client, "/manage/calls/BENCH-LARGE/ranking.csv"),
        "proposals": time_get(client, "/manage/calls/BENCH-LARGE/proposals", runs),
        "queries_proposals_small": count_queries(app, client, "/manage/calls/BENCH-SMALL/proposals"),
        "queries_proposals_large": count_queries(app, client, "/manage/calls/BENCH-LARGE/proposals"),
    }
    return figures


def main() -> None:
    """Print the figures, then the JSON line."""
    rules, candidates = make_call(10_000)
    selection = select(rules, candidates)
    counts = {status: 0 for status in ("selected", "reserve", "not_funded", "below_threshold", "ineligible")}
    for outcome in selection.proposals:
        counts[outcome.status] += 1
    print("10,000 proposals x 3 criteria: " + ", ".join(f"{count} {status}" for status, count in counts.items()))
    in_process = measure_select(10_000)
    print(f"select, {RUNS} runs: best {in_process['best'] * 1000:.1f} ms, median {in_process['median'] * 1000:.1f} ms")
    rerun = measure_snapshot_rerun(10_000)
    print(
        "re-run from a JSON snapshot (read, check, select, write), 5 runs: "
        f"best {rerun['best'] * 1000:.1f} ms, median {rerun['median'] * 1000:.1f} ms"
    )
    cli = measure_cli(10_000)
    print(
        f"python -m scoring select, 10,000 proposals, best of {CLI_RUNS} processes: {cli['cli'] * 1000:.0f} ms of CPU "
        f"against {cli['floor'] * 1000:.0f} ms for merely parsing the same JSON: {cli['over_floor'] * 1000:.0f} ms "
        f"over that floor (target < 200 ms; wall clock {cli['cli_wall'] * 1000:.0f} and "
        f"{cli['floor_wall'] * 1000:.0f} ms)"
    )
    web = measure_web()
    page, csv_export, xlsx_export = web["page"], web["csv"], web["xlsx"]
    print(f"ranking page, {WEB_LARGE:,} proposals, {PAGE_RUNS} requests: median {page['median']:.0f} ms, "  # type: ignore[index]
          f"p95 {page['p95']:.0f} ms, {page['bytes'] / 1e6:.1f} MB of HTML")  # type: ignore[index]
    for label, timing in (("CSV", csv_export), ("XLSX", xlsx_export)):
        print(f"{label} export, {WEB_LARGE:,} proposals: median {timing['median']:.0f} ms, "  # type: ignore[index]
              f"p95 {timing['p95']:.0f} ms, {timing['bytes'] / 1e6:.2f} MB")  # type: ignore[index]
    print(f"SQL statements per ranking page: {web['queries_small']} at {WEB_SMALL} proposals, "
          f"{web['queries_large']} at {WEB_LARGE:,}; per CSV export: {web['queries_csv_small']} and "
          f"{web['queries_csv_large']}")
    proposals = web["proposals"]
    print(f"proposals list, {WEB_LARGE:,} proposals, {PAGE_RUNS} requests: median {proposals['median']:.0f} ms, "  # type: ignore[index]
          f"p95 {proposals['p95']:.0f} ms, {proposals['bytes'] / 1e3:.0f} KB of HTML; SQL statements: "  # type: ignore[index]
          f"{web['queries_proposals_small']} at {WEB_SMALL}, {web['queries_proposals_large']} at {WEB_LARGE:,}")
    figures = {
        # The best run is the one least disturbed by other processes on a shared CI machine.
        "seconds_10k": round(in_process["best"], 4),
        "ranking_p95_ms": round(page["p95"], 1),  # type: ignore[index]
        "queries_small": web["queries_small"],
        "queries_large": web["queries_large"],
        "proposals_p95_ms": round(proposals["p95"], 1),  # type: ignore[index]
    }
    print(json.dumps({"selection": figures}))


if __name__ == "__main__":
    main()
