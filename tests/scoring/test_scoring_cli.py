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


def test_prints_one_compact_line_unless_asked_to_indent(document_example: str) -> None:
    compact = run("select", stdin=document_example)
    assert compact.stdout.count("\n") == 1
    assert compact.stdout.startswith('{"selected":["EC-0001"],')
    indented = run("select", "--indent", "2", stdin=document_example)
    assert indented.stdout.startswith('{\n  "selected": [\n    "EC-0001"\n  ],')
    assert json.loads(indented.stdout) == json.loads(compact.stdout)


def test_promote_prints_the_promotion_that_follows_a_selection(document_example: str) -> None:
    data = json.loads(document_example)
    data["proposals"].append({"id": "EC-0002", "requested": "900000.00", "eligible": True,
                              "scores": {"relevance": 4, "quality": 4, "impact": 3}, "strand": "Tourism"})
    data["rules"]["max_awards"] = 1
    selection = json.loads(run("select", stdin=json.dumps(data)).stdout)
    assert (selection["selected"], selection["reserve"]) == (["EC-0001"], ["EC-0002"])
    promotion = {"kind": "promotion", "rules": data["rules"], "proposals": data["proposals"], "previous": selection,
                 "previous_run": 1, "previous_output_sha256": "0" * 64,
                 "release": {"id": "EC-0001", "reason": "declined"}}
    result = run("promote", stdin=json.dumps(promotion))
    assert (result.returncode, result.stderr) == (0, "")
    output = json.loads(result.stdout)
    assert (output["selected"], output["reserve"]) == (["EC-0002"], [])
    assert [(item["id"], item["status"], item["reason_code"]) for item in output["proposals"]] == [
        ("EC-0001", "declined", "declined"), ("EC-0002", "selected", "promoted")]


def test_promote_refuses_a_selection_document(document_example: str) -> None:
    result = run("promote", stdin=document_example)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: invalid input: field 'kind': expected a promotion document (\"kind\": \"promotion\")\n"
    )
