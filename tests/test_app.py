from __future__ import annotations

import importlib

import pytest

from app import create_app
from config import DEVELOPMENT_SECRET_KEY, ProductionConfig


def test_production_refuses_to_start_with_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_a_short_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_starts_with_a_real_key_and_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 48)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["WTF_CSRF_ENABLED"] is True


def test_database_url_switches_to_psycopg3(monkeypatch: pytest.MonkeyPatch) -> None:
    import config

    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5432/grants")
    assert config._database_url() == "postgresql+psycopg://u:p@db.example:5432/grants"
    monkeypatch.delenv("DATABASE_URL")
    assert config._database_url().endswith("instance/eurogrants.db")


def test_wsgi_exposes_an_app(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EUROGRANTS_ENV", "testing")
    module = importlib.import_module("wsgi")
    assert module.app.name == "app"


def test_templates_come_from_the_top_level_folder(app) -> None:  # type: ignore[no-untyped-def]
    assert app.jinja_loader.searchpath[0].endswith("templates")  # type: ignore[union-attr]
