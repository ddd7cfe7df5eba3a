"""Annexes: checking that an upload is a real PDF within the limits, storing it, replacing and removing it.

A file is judged by its content, never by its name: the `%PDF-` signature at byte 0, a parse with pypdf in a
separate process with CPU, memory and time limits (`app.pdf_inspection`), no encryption, at least one page and at
most the call's page limit, at most MAX_UPLOAD_BYTES. The bytes are stored under
their SHA-256 outside any static folder (`app.storage`); the user's file name is kept, sanitised, for display
and as the download name only.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask import current_app

from app.clock import utcnow
from app.enums import DocumentKind
from app.extensions import db
from app.formatting import human_size
from app.languages import N_
from app.models import Document, Proposal, User
from app.pdf_inspection import PDF_MAGIC, InspectionLimits, inspect_pdf_bytes
from app.services.audit import record_event
from app.services.errors import FileTooLarge, InvalidInput
from app.storage import TooLarge, get_storage
from app.translation import current_language, gettext

MAX_FILENAME_LENGTH = 120
MAX_SUPPORT_LETTERS = 20
_UNSAFE_NAME_CHARS = re.compile(r'[\\/:*?"<>|]+')


@dataclass(frozen=True)
class PdfFacts:
    size: int
    pages: int


def max_upload_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_BYTES"])


def too_large_message(limit: int | None = None) -> str:
    """The refusal of a file over `limit` (the configured one by default), in the language of the request that sent
    it, its size as that language writes it."""
    limit = limit if limit is not None else max_upload_bytes()
    return gettext("The file is larger than the %(limit)s allowed per annex. Reduce it (for instance by exporting "
                   "images at a lower resolution) and upload it again.",
                   limit=human_size(limit, locale=current_language()))


def sanitise_filename(name: str | None) -> str:
    """A file name safe to display and to offer as a download name: no path, no control characters, .pdf."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]  # the basename, whichever separator the client's system uses
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control and format characters
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem.strip(" .")[: MAX_FILENAME_LENGTH - 4].rstrip(" .")
    return f"{stem or 'document'}.pdf"


def _stream_size(stream: BinaryIO) -> int | None:
    try:
        position = stream.tell()
        size = stream.seek(0, io.SEEK_END)
        stream.seek(position)
    except (OSError, AttributeError, ValueError):
        return None
    return size


def inspect_pdf(stream: BinaryIO, *, page_limit: int | None, max_bytes: int,
                limits: InspectionLimits | None = None) -> PdfFacts:
    """Check that `stream` (seekable) holds a usable PDF; InvalidInput or FileTooLarge saying what is wrong.
    `limits`: what reading it may cost (`inspection_limits()`, the app's settings; the defaults without)."""
    size = _stream_size(stream)
    if size is None:
        raise InvalidInput(N_("The upload could not be read; try again."), details={"field": "file"})
    if size > max_bytes:
        raise FileTooLarge(too_large_message(max_bytes), details={"field": "file", "max_bytes": max_bytes})
    if size == 0:
        raise InvalidInput(N_("The file is empty."), details={"field": "file"})
    stream.seek(0)
    # The signature at byte 0, as the PDF standard places it: a page with `%PDF-` a little further is no PDF.
    if stream.read(len(PDF_MAGIC)) != PDF_MAGIC:
        raise InvalidInput(N_("This file is not a PDF. Export the document as PDF and upload that file."),
                           details={"field": "file"})
    stream.seek(0)
    try:
        answer = inspect_pdf_bytes(stream.read(), page_limit=page_limit, limits=limits or InspectionLimits())
    finally:
        stream.seek(0)
    _refuse(answer)
    return PdfFacts(size=size, pages=int(answer["pages"]))


def inspection_limits() -> InspectionLimits:
    config = current_app.config
    return InspectionLimits(
        cpu_seconds=int(config["PDF_INSPECTION_CPU_SECONDS"]), wall_seconds=float(config["PDF_INSPECTION_SECONDS"]),
        memory_bytes=int(config["PDF_INSPECTION_MEMORY_MB"]) * 1024 * 1024,
        max_inflated_bytes=int(config["PDF_MAX_INFLATED_MB"]) * 1024 * 1024,
        max_xref_sections=int(config["PDF_MAX_XREF_SECTIONS"]))


def _refuse(answer: dict[str, Any]) -> None:
    """InvalidInput saying what is wrong with the file, unless the inspection found it usable."""
    reason = answer.get("refused")
    if reason is None:
        return
    if reason == "not_pdf":
        raise InvalidInput(N_("This file is not a PDF. Export the document as PDF and upload that file."),
                           details={"field": "file"})
    if reason == "encrypted":
        raise InvalidInput(
            N_("This PDF is protected with a password or encryption. Save it without protection and "
               "upload it again: evaluators must be able to open it."), details={"field": "file"})
    if reason == "no_pages":
        raise InvalidInput(N_("This PDF has no pages."), details={"field": "file"})
    if reason == "too_many_pages":
        pages, page_limit = answer["pages"], answer["page_limit"]
        raise InvalidInput(
            N_("This PDF has %(pages)d pages; the call allows at most %(page_limit)d. Shorten it and upload it again."),
            details={"field": "file", "pages": pages, "page_limit": page_limit}, pages=pages, page_limit=page_limit)
    if reason == "too_complex":
        raise InvalidInput(
            N_("This PDF is built in a way that takes too much work to read (its structure or compressed content "
               "goes beyond what an annex needs). Print it to a new PDF or export it again, and upload that file."),
            details={"field": "file", "reason": "too_complex", "limit": answer.get("limit")})
    raise InvalidInput(N_("This PDF is damaged and cannot be read. Export it again and upload the new file."),
                       details={"field": "file", "reason": answer.get("error", reason)})


@dataclass(frozen=True)
class StoredUpload:
    """An annex checked and stored under its hash, not yet attached to a proposal."""

    key: str
    size: int
    pages: int


def store_upload(stream: BinaryIO, *, page_limit: int | None) -> StoredUpload:
    """Check that the stream is a usable PDF within the limits and store it (side effect: the stored file).

    Called before the proposal's row is locked: parsing and hashing a 10 MB PDF and writing it to the storage
    take long, and a content-addressed file that ends up attached to nothing is harmless.
    """
    limit = max_upload_bytes()
    facts = inspect_pdf(stream, page_limit=page_limit, max_bytes=limit, limits=inspection_limits())
    try:
        key, size = get_storage().put_stream(stream, max_bytes=limit)
    except TooLarge as error:
        raise FileTooLarge(too_large_message(limit), details={"field": "file", "max_bytes": limit}) from error
    return StoredUpload(key=key, size=size, pages=facts.pages)


def require_accepted_kind(proposal: Proposal, kind: DocumentKind) -> None:
    """Refuse (InvalidInput at `kind`) an annex type the call neither requires nor offers as optional."""
    call = proposal.call
    if kind.value not in {*(call.required_annexes or []), *(call.optional_annexes or [])}:
        raise InvalidInput(N_("This call does not take this type of annex: choose one of the types it offers."),
                           details={"field": "kind", "kind": kind.value,
                                    "accepted": [*call.required_annexes, *call.optional_annexes]})


def upload_document(proposal: Proposal, *, actor: User, kind: DocumentKind, stored: StoredUpload,
                    filename: str | None) -> Document:
    """Attach a stored annex of a type the call takes to the proposal; a new Part B replaces the previous one.

    The caller has checked that `actor` may edit the proposal now (`proposals.upload_annex` does) and stored
    the file with `store_upload`. Side effects: a Document row, the replaced Part B marked removed, an audit event.
    """
    require_accepted_kind(proposal, kind)
    if stored.pages > (proposal.call.page_limit or stored.pages):
        # The call's page limit changed while the file was being checked.
        raise InvalidInput(N_("This PDF has %(pages)d pages; the call allows at most %(page_limit)d. Shorten it and "
                              "upload it again."),
                           details={"field": "file", "pages": stored.pages, "page_limit": proposal.call.page_limit},
                           pages=stored.pages, page_limit=proposal.call.page_limit)
    active = [d for d in proposal.documents if d.removed_at is None]
    if kind is DocumentKind.SUPPORT_LETTER and sum(d.kind is kind for d in active) >= MAX_SUPPORT_LETTERS:
        raise InvalidInput(N_("A proposal can have at most %(count)d letters of support."),
                           details={"field": "kind"}, count=MAX_SUPPORT_LETTERS)
    key, size = stored.key, stored.size
    now = utcnow()
    replaced = []
    if kind is DocumentKind.PART_B:
        for document in active:
            if document.kind is DocumentKind.PART_B:
                document.removed_at = now
                replaced.append(document.id)
    document = Document(kind=kind, sha256=key, filename=sanitise_filename(filename), size_bytes=size,
                        page_count=stored.pages, uploaded_by_id=actor.id, uploaded_at=now)
    proposal.documents.append(document)
    db.session.flush()
    record_event(actor, "proposal.document_uploaded", object_type="proposal", object_id=proposal.id,
                 document_id=document.id, kind=kind.value, filename=document.filename, sha256=key, size=size,
                 pages=stored.pages, replaced=replaced)
    return document


def remove_document(proposal: Proposal, document: Document, *, actor: User) -> None:
    """Take an annex off the proposal; the file stays for the submitted versions that include it.

    Side effects: `removed_at`, an audit event.
    """
    if document.removed_at is not None:
        raise InvalidInput(N_("This annex was already removed."))
    document.removed_at = utcnow()
    db.session.flush()
    record_event(actor, "proposal.document_removed", object_type="proposal", object_id=proposal.id,
                 document_id=document.id, kind=document.kind.value, filename=document.filename)

