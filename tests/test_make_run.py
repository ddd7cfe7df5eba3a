"""`make run` on another port: the server and the letters' verification links move together."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _serve_line(*arguments: str, environment: dict[str, str] | None = None) -> str:
    """The command `make run` would serve with (a dry run: nothing is set up or started)."""
    env = {key: value for key, value in os.environ.items() if key not in {"PORT", "PUBLIC_BASE_URL"}}
    env.update(environment or {})
    printed = subprocess.run(["make", "--no-print-directory", "-n", "run", *arguments], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True).stdout
    return next(line for line in printed.splitlines() if " run --host " in line)


def test_make_run_serves_on_5000_with_links_to_5000_by_default() -> None:
    line = _serve_line()
    assert line.endswith("--port 5000")
    assert line.startswith("PUBLIC_BASE_URL=http://127.0.0.1:5000 ")


def test_make_run_on_another_port_moves_the_verification_links_with_it() -> None:
    line = _serve_line("PORT=5055")
    assert line.endswith("--port 5055")
    assert line.startswith("PUBLIC_BASE_URL=http://127.0.0.1:5055 ")


def test_a_public_base_url_set_by_the_operator_is_kept() -> None:
    line = _serve_line("PORT=5055", environment={"PUBLIC_BASE_URL": "https://grants.example.eu"})
    assert line.endswith("--port 5055")
    assert line.startswith("PUBLIC_BASE_URL=https://grants.example.eu ")
