"""`python -m scoring select [FILE]` in a subprocess, and the purity of the scoring package."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scoring", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=False,
    )


def test_selects_the_documents_example_from_a_file(document_example: str, tmp_path: Path) -> None:
    path = tmp_path / "call.json"
    path.write_text(document_example, encoding="utf-8")
    result = run("select", str(path))
    assert (result.returncode, result.stderr) == (0, "")
    output = json.loads(result.stdout)
    assert output["selected"] == ["EC-0001"]
    assert output["remaining_budget"] == "40600000.00"
    assert output["proposals"][0]["total"] == "13.75"
    assert output["proposals"][0]["reason"] == (
        "rank 1; selected by coverage rule for strand 'Tourism'; 40,600,000.00 left after it"
    )
    assert (output["proposals"][0]["step"], output["proposals"][0]["budget_left"]) == (1, "40600000.00")
    assert output["proposals"][0]["reason_code"] == "coverage"
    # Deterministic: the same input prints the same bytes.
    assert run("select", str(path)).stdout == result.stdout


def test_reads_standard_input_when_no_file_is_given(document_example: str) -> None:
    result = run("select", stdin=document_example)
    assert result.returncode == 0
    assert json.loads(result.stdout)["selected"] == ["EC-0001"]


def test_invalid_input_exits_2_with_one_line_naming_the_proposal_and_the_field(document_example: str) -> None:
    result = run("select", stdin=document_example.replace('"quality": 4,', '"quality": 4.25,'))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: invalid input: proposal 'EC-0001', field 'scores.quality': score 4.25 is not a multiple of 0.5\n"
    )


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"rules": ', "error: invalid JSON: Expecting value: line 1 column 11 (char 10)\n"),
        ("[1, NaN]", "error: invalid JSON: NaN is not a number\n"),
        ("[]", "error: invalid input: field 'input': expected an object, got a list\n"),
    ],
)
def test_unreadable_json_exits_2(stdin: str, message: str) -> None:
    result = run("select", stdin=stdin)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("select", str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot read ")
    assert result.stderr.count("\n") == 1


def test_without_a_command_prints_usage_and_exits_2() -> None:
    result = run()
    assert result.returncode == 2
    assert "usage: python -m scoring" in result.stderr


def test_importing_scoring_loads_no_web_framework_database_or_app_code() -> None:
    probe = "import sys, scoring; print(sorted(m for m in ('flask', 'sqlalchemy', 'app') if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=30, check=True
    )
    assert result.stdout == "[]\n"
