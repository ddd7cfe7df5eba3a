"""A proposal's annexes as pages and downloads find them: only its own, removed ones only for its versions."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from app.enums import DocumentKind, Role
from app.extensions import db
from app.models import User
from app.queries.documents import find_document, open_document
from app.services.errors import NotFound
from app.services.proposals import create_proposal, remove_annex, upload_annex
from tests.factories import make_open_call, pdf_bytes


def test_an_annex_is_found_in_its_own_proposal_only(app_ctx: None, make_user: Callable[..., User]) -> None:
    user = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT").id)
    call = make_open_call()
    proposal, other = create_proposal(call, actor=user), create_proposal(call, actor=user)  # type: ignore[arg-type]
    data = pdf_bytes(1)
    kept = upload_annex(proposal, actor=user, kind=DocumentKind.SUPPORT_LETTER, stream=io.BytesIO(data),  # type: ignore[arg-type]
                        filename="letter.pdf")
    removed = upload_annex(proposal, actor=user, kind=DocumentKind.SUPPORT_LETTER, stream=io.BytesIO(data),  # type: ignore[arg-type]
                           filename="old.pdf")
    remove_annex(proposal, removed, actor=user)  # type: ignore[arg-type]
    db.session.commit()
    assert find_document(proposal, kept.id) is kept
    assert find_document(proposal, removed.id) is removed  # a submitted version may still show it
    with pytest.raises(NotFound):
        find_document(proposal, removed.id, include_removed=False)
    with pytest.raises(NotFound):
        find_document(other, kept.id)
    with open_document(kept) as stored:
        assert stored.read() == data
