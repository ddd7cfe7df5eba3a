from __future__ import annotations

import pytest

from app import create_app
from config import ProductionConfig


@pytest.mark.parametrize("path", ["/", "/auth/login", "/api/v1/openapi.json", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path) -> None:  # type: ignore[no-untyped-def]
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]  # no inline script, no inline style sheets
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # development serves plain HTTP


def test_pages_have_no_inline_script(client, seeded) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/calls/SMP-COSME-2021-CLUSTER-01", "/auth/login", "/auth/register"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page
        assert " onclick=" not in page
        assert " onload=" not in page


def test_production_adds_hsts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "y" * 48)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    app = create_app(ProductionConfig)
    response = app.test_client().get("/auth/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
