"""Annex uploads are rate-limited per account (UPLOAD_RATE_LIMIT), pages and API together: each upload is read by a
limited process, and one account must not keep the server busy. Another account at the same address is not held."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Flask

from app.enums import Role
from app.extensions import db
from app.models import User
from app.services.proposals import create_proposal
from tests.conftest import PASSWORD, api_token
from tests.factories import make_open_call, pdf_bytes

ADDRESS = {"REMOTE_ADDR": "203.0.113.9"}


def _draft(app: Flask, user: User) -> int:
    with app.app_context():
        proposal = create_proposal(make_open_call(f"RATE-{user.id}"), actor=db.session.get(User, user.id))
        db.session.commit()
        return proposal.id


def test_uploads_are_limited_per_account_across_pages_and_api(make_app: Callable[..., Flask],
                                                               make_user: Callable[..., User]) -> None:
    app = make_app(RATELIMIT_ENABLED=True, UPLOAD_RATE_LIMIT="3 per hour")
    first, second = make_user(Role.APPLICANT), make_user(Role.APPLICANT)
    drafts = {first.id: _draft(app, first), second.id: _draft(app, second)}
    page = app.test_client()
    assert page.post("/auth/login", data={"email": first.email, "password": PASSWORD},
                     environ_base=ADDRESS).status_code == 302
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(app, first)}"}

    def through_page() -> int:
        return page.post(f"/applicant/proposals/{drafts[first.id]}/annexes", environ_base=ADDRESS,
                         data={"kind": "support_letter", "file": (io.BytesIO(pdf_bytes(1)), "letter.pdf")},
                         content_type="multipart/form-data").status_code

    def through_api(user: User, headers: dict[str, str]) -> tuple[int, dict[str, object] | None]:
        response = api.post(f"/api/v1/proposals/{drafts[user.id]}/documents", headers=headers, environ_base=ADDRESS,
                            data={"kind": "support_letter", "file": (io.BytesIO(pdf_bytes(1)), "letter.pdf")},
                            content_type="multipart/form-data")
        return response.status_code, response.get_json()

    assert through_page() == 302
    assert through_api(first, bearer)[0] == 201
    assert through_page() == 302
    status, body = through_api(first, bearer)  # the fourth upload of the hour, whichever way it comes
    assert status == 429
    assert body is not None
    assert body["error"]["code"] == "too_many_requests"
    assert through_page() == 429
    # The page itself still opens, and another account at the same address uploads as usual.
    assert page.get(f"/applicant/proposals/{drafts[first.id]}/annexes", environ_base=ADDRESS).status_code == 200
    assert through_api(second, {"Authorization": f"Bearer {api_token(app, second)}"})[0] == 201
