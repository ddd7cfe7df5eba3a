"""A run's outcomes read back: stored runs re-run byte for byte (also with `python -m scoring select`), tampered runs
do not verify, runs stored before the core added fields verify and read them from their re-run, and residual ties
are reported until the officer decides."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from app.extensions import db
from app.models import SelectionRun
from app.queries.outcomes import documents_outcomes, predates_decision_fields, run_outcomes, sha256_text, verify_run
from app.services.selection import run_selection
from scoring import canonical_json, parse_input, read_json, select, selection_to_dict
from tests.selection_worlds import as_stored_before_decision_fields, ref

ROOT = Path(__file__).resolve().parents[2]


def test_re_running_the_stored_input_gives_byte_identical_output(field) -> None:
    call, officer = field.call, field.officer
    run = run_selection(call, actor=officer)
    db.session.commit()
    stored = db.session.get(SelectionRun, run.id)
    rules, candidates = parse_input(read_json(stored.input_json))
    assert canonical_json(selection_to_dict(select(rules, candidates))).encode() == stored.output_json.encode()
    assert verify_run(stored)


def test_python_m_scoring_select_reproduces_a_stored_run(field, tmp_path) -> None:
    call, officer = field.call, field.officer
    run = run_selection(call, actor=officer)
    path = tmp_path / "input.json"
    path.write_text(run.input_json, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "scoring", "select", str(path)], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert canonical_json(read_json(result.stdout)) == canonical_json(read_json(run.output_json))


def test_a_tampered_run_does_not_verify(field) -> None:
    call, officer = field.call, field.officer
    run = run_selection(call, actor=officer)
    run.output_json = run.output_json.replace('"selected"', '"selected" ', 1)
    assert not verify_run(run)


def decisions(outcomes) -> list[tuple[str, int | None, Decimal | None, str | None]]:
    return [(o.reference, o.step, o.budget_left, o.reason_code) for o in outcomes.outcomes]


def test_a_run_stored_before_the_decision_fields_verifies_and_is_read_with_them_from_its_re_run(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    run = run_selection(call, actor=officer)
    expected = decisions(run_outcomes(run))
    assert expected[:4] == [
        (ref(proposals, "ALPHA"), 1, Decimal("2000000.00"), "fits"),
        (ref(proposals, "BETA"), 2, Decimal("500000.00"), "fits"),
        (ref(proposals, "GAMMA"), 3, Decimal("500000.00"), "award_cap"),
        (ref(proposals, "DELTA"), 4, Decimal("500000.00"), "award_cap"),
    ]
    as_stored_before_decision_fields(run)
    assert predates_decision_fields(json.loads(run.output_json))
    assert verify_run(run)
    assert decisions(run_outcomes(run)) == expected


def test_a_tampered_run_stored_before_the_decision_fields_does_not_verify_nor_lend_them(field) -> None:
    call, officer = field.call, field.officer
    run = run_selection(call, actor=officer)
    as_stored_before_decision_fields(run)
    run.output_json = run.output_json.replace("reserve position 1", "reserve position 2", 1)
    run.output_sha256 = sha256_text(run.output_json)
    assert not verify_run(run)
    # The re-run no longer reproduces what is stored: its readers show no step rather than borrow one.
    assert {(o.step, o.budget_left, o.reason_code) for o in run_outcomes(run).outcomes} == {(None, None, None)}


def test_residual_tie_is_ordered_by_reference_until_the_officer_decides(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    ranking = documents_outcomes(*_documents(run_selection(call, actor=officer)))
    assert [t.references for t in ranking.unresolved_ties] == [[ref(proposals, "BETA"), ref(proposals, "GAMMA")]]
    by = ranking.by_reference()
    assert "ordered by id for the officer to resolve" in by[ref(proposals, "BETA")].reason


def _documents(run):
    return json.loads(run.input_json), json.loads(run.output_json)

