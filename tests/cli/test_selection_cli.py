"""`flask selection ...`: demo data, the scoring input for `python -m scoring select`, verification of runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import Call, SelectionRun
from app.queries.selection import SelectionOptions
from app.seeds.calls import seed_reference_calls
from app.services.selection import run_selection
from scoring import canonical_json, read_json

ROOT = Path(__file__).resolve().parents[2]
CODE = "SMP-COSME-2021-CLUSTER-01"


@pytest.fixture
def cli(app):
    with app.app_context():
        seed_reference_calls()
        db.session.commit()
    return app.test_cli_runner()


def test_demo_is_idempotent(cli) -> None:
    first = cli.invoke(args=["selection", "demo", CODE, "--count", "12"])
    assert first.exit_code == 0, first.output
    assert f"{CODE}: 12 demo proposal(s) created" in first.output
    again = cli.invoke(args=["selection", "demo", CODE, "--count", "12"])
    assert "0 demo proposal(s) created" in again.output


def test_input_pipes_into_python_m_scoring_select(cli, tmp_path) -> None:
    cli.invoke(args=["selection", "demo", CODE, "--count", "40"])
    result = cli.invoke(args=["selection", "input", CODE, "--reserve", "3"])
    assert result.exit_code == 0, result.output
    document = read_json(result.output)
    assert document["rules"]["reserve_size"] == 3
    assert document["rules"]["coverage"] == "strand"
    assert len(document["proposals"]) == 40
    scored = subprocess.run([sys.executable, "-m", "scoring", "select"], input=result.output, cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert len(read_json(scored.stdout)["reserve"]) == 3


def test_input_refuses_bad_options_and_unknown_calls(cli) -> None:
    assert "There is no call NOPE." in cli.invoke(args=["selection", "input", "NOPE"]).output
    result = cli.invoke(args=["selection", "input", "EUID-2022-SESSIONS", "--coverage"])
    assert result.exit_code == 1
    assert "no coverage rule" in result.output


def test_verify_reproduces_every_run_and_flags_a_tampered_one(app, cli, make_user) -> None:
    officer = make_user(Role.OFFICER)
    cli.invoke(args=["selection", "demo", CODE, "--count", "20"])
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        run_selection(call, actor=db.session.merge(officer))
        run_selection(call, actor=db.session.merge(officer),
                      options=SelectionOptions.from_values(call, reserve_size=0))
        db.session.commit()
    result = cli.invoke(args=["selection", "verify", CODE])
    assert result.exit_code == 0, result.output
    assert "run 1: reproduced" in result.output
    assert "run 2: reproduced" in result.output
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun).where(SelectionRun.number == 2))
        output = read_json(run.output_json)
        output["reserve"] = ["forged"]
        run.output_json = canonical_json(output)
        db.session.commit()
    result = cli.invoke(args=["selection", "verify", CODE, "2"])
    assert result.exit_code == 1
    assert "run 2: DIFFERS" in result.output
    assert "There is no run 9" in cli.invoke(args=["selection", "verify", CODE, "9"]).output
