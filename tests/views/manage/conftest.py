"""Fixtures of the officer's page tests."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import EvaluationWorld


@pytest.fixture
def officer_for(app: Flask, login: Callable[..., FlaskClient]) -> Callable[[EvaluationWorld], FlaskClient]:
    """A new client logged in as the officer of an evaluation world."""
    return lambda world: login(app.test_client(), SimpleNamespace(email=world.officer_email))
