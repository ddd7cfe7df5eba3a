"""A proposal's annexes as pages, the API and downloads read them (storing and removing: app/services/documents.py)."""

from __future__ import annotations

from typing import BinaryIO

from app.languages import N_
from app.models import Document, Proposal
from app.services.errors import NotFound
from app.storage import get_storage


def find_document(proposal: Proposal, document_id: int, *, include_removed: bool = True) -> Document:
    """One annex of this proposal (NotFound otherwise: ids of other proposals' annexes are not guessable)."""
    for document in proposal.documents:
        if document.id == document_id and (include_removed or document.removed_at is None):
            return document
    raise NotFound(N_("There is no such annex."))


def open_document(document: Document) -> BinaryIO:
    """The annex's stored bytes, to read."""
    return get_storage().open(document.sha256)
