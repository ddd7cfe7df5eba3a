"""The layer rules written down as checks (pyproject.toml's [tool.importlinter], run by `make lint`).

import-linter checks modules; the names that services and queries must not touch (`flask.request`,
`flask.session`, ...) are checked by the `forbidden_names` contract of scripts/import_contracts.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.import_contracts import forbidden_uses

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"flask.request", "flask.session", "flask.g", "flask_login.current_user"}


def test_every_way_of_reaching_a_request_name_is_found() -> None:
    source = (
        "import flask\n"
        "import flask as web\n"
        "from flask import current_app, request\n"
        "from flask import session as browser_session\n"
        "from flask_login import current_user\n"
        "def f():\n"
        "    return flask.g, web.request, flask.current_app\n"
    )

    assert forbidden_uses(source, FORBIDDEN) == [
        (3, "flask.request"), (4, "flask.session"), (5, "flask_login.current_user"),
        (7, "flask.g"), (7, "flask.request"),
    ]


def test_the_app_and_a_variable_of_the_same_name_are_not_request_state() -> None:
    source = (
        "from flask import current_app, render_template\n"
        "def f(request, session):\n"
        "    return request.form, session.info, current_app.config\n"
    )

    assert forbidden_uses(source, FORBIDDEN) == []


def test_the_tree_keeps_every_layer_contract() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
