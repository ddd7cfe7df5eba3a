"""Benchmark of selection: `python bench/selection.py` (or `python -m bench.selection`) from the project root.

Prints readable figures, then one JSON line for CI. Only the in-process part is measured for now; the web
figures (ranking page p95, query counts) stay null until a `measure_*` function fills them in `main`.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    figures = {
        # The best run is the one least disturbed by other processes on a shared CI machine.
        "seconds_10k": round(in_process["best"], 4),
        "ranking_p95_ms": None,
        "queries_small": None,
        "queries_large": None,
    }
    print(json.dumps({"selection": figures}))


if __name__ == "__main__":
    main()
