from __future__ import annotations

import pytest

from app import create_app
from app.enums import Role
from config import ProductionConfig
from tests.conftest import PASSWORD


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


@pytest.mark.parametrize("path", ["/applicant/", "/account/", "/no-such-page", "/calls/NO-SUCH-CALL"])
def test_pages_for_a_signed_in_user_are_never_stored(client_as, path) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.APPLICANT)
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store", response.status_code
    assert response.headers["Pragma"] == "no-cache"


def test_the_log_in_answer_itself_is_never_stored(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"


def test_json_and_downloads_for_a_signed_in_user_are_never_stored(  # type: ignore[no-untyped-def]
        client, client_as, make_user, token_for) -> None:
    token = token_for(make_user(Role.APPLICANT))
    for path in ("/api/v1/me", "/api/v1/calls", "/api/v1/no-such-thing"):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert "no-store" in response.headers["Cache-Control"], (path, response.status_code)
    download = client_as(Role.APPLICANT).post("/account/personal-data.zip")
    assert download.status_code == 200
    assert "no-store" in download.headers["Cache-Control"]


def test_what_is_the_same_for_everyone_stays_cacheable(client, client_as) -> None:  # type: ignore[no-untyped-def]
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")  # anonymous: the public home page
    signed_in = client_as(Role.APPLICANT)
    for path in ("/static/css/app.css", "/favicon.ico"):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
        response.close()
