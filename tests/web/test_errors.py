"""Unexpected errors (500): logged with their traceback and the request id the answer carries."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask

from app.web.headers import REQUEST_ID_HEADER


class DeliberateBug(RuntimeError):
    """What the broken route raises: a bug the error handler must log, whatever it is."""


def _broken() -> str:
    raise DeliberateBug("a bug on purpose: the total of a None")


@pytest.fixture
def production_errors(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """An app that handles errors as in production (not in testing mode), with a page and an API route that fail.

    On the suite's database (`app` made its tables), so its working pages work.
    """
    flask_app = make_app(TESTING=False)
    flask_app.add_url_rule("/broken", "broken", _broken)
    flask_app.add_url_rule("/api/v1/broken", "api_broken", _broken)
    return flask_app


def _error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/broken", "/api/v1/broken"])
def test_an_unexpected_error_is_logged_with_its_traceback_and_request_id(production_errors, caplog, path) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.ERROR):
        response = production_errors.test_client().get(path)
    assert response.status_code == 500
    request_id = response.headers[REQUEST_ID_HEADER]
    [record] = _error_records(caplog)
    assert request_id in record.getMessage()
    assert f"GET {path}" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is DeliberateBug
    assert "a bug on purpose: the total of a None" in caplog.text  # the traceback is in the log
    assert "Traceback (most recent call last)" in caplog.text
    # The person who saw the error can quote the id; the bug's own text stays out of the answer.
    assert request_id in response.get_data(as_text=True)
    assert "total of a None" not in response.get_data(as_text=True)
    if path.startswith("/api/"):
        error = response.get_json()["error"]
        assert error["code"] == "internal_error"
        assert error["details"] == {"request_id": request_id}


def test_each_request_gets_its_own_id_or_keeps_a_proxys(production_errors, caplog) -> None:  # type: ignore[no-untyped-def]
    client = production_errors.test_client()
    first, second = client.get("/"), client.get("/")
    assert first.headers[REQUEST_ID_HEADER] != second.headers[REQUEST_ID_HEADER]
    with caplog.at_level(logging.ERROR):
        forwarded = client.get("/broken", headers={REQUEST_ID_HEADER: "edge-7f3a9c01"})
    assert forwarded.headers[REQUEST_ID_HEADER] == "edge-7f3a9c01"
    assert "edge-7f3a9c01" in _error_records(caplog)[0].getMessage()
    # Not a plain token (spaces, or too long): replaced, so nobody writes their own text into our log lines.
    for hostile in ("fake] ERROR admin logged in", "x" * 65):
        answered = client.get("/", headers={REQUEST_ID_HEADER: hostile})
        assert answered.headers[REQUEST_ID_HEADER] != hostile
