"""Annexes: real PDFs only (judged by content), within the limits, stored by hash, names made harmless."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.enums import DocumentKind, Role
from app.extensions import db
from app.models import AuditEvent, Proposal, User
from app.pdf_inspection import InspectionLimits
from app.services.documents import inspect_pdf, sanitise_filename
from app.services.errors import FileTooLarge, InvalidInput
from app.services.proposals import create_proposal, upload_annex
from app.storage import LocalStorage, get_storage
from tests.factories import make_open_call, pdf_bytes

PDF = pdf_bytes(2)


@pytest.mark.parametrize(("given", "shown"), [
    ("Part B.pdf", "Part B.pdf"),
    ("../../etc/passwd", "passwd.pdf"),
    ("..\\..\\windows\\system32\\evil.PDF", "evil.pdf"),
    ("C:\\Users\\ana\\Desktop\\Part B final.pdf", "Part B final.pdf"),
    ("/var/www/static/x.pdf", "x.pdf"),
    ("report\x00.exe.pdf", "report.exe.pdf"),
    ("line\r\nbreak.pdf", "linebreak.pdf"),
    ("\u202egnp.pdf", "gnp.pdf"),  # right-to-left override: shown as "fdp.png" otherwise
    ('<script>alert(1)</script>.pdf', "script_.pdf"),  # a slash is a path separator
    ('<img src=x onerror=alert(1)>.pdf', "_img src=x onerror=alert(1)_.pdf"),
    ("  spaced   name  .pdf", "spaced name.pdf"),
    ("...", "document.pdf"),
    ("", "document.pdf"),
    (None, "document.pdf"),
    ("no extension", "no extension.pdf"),
    ("Zürich – Ελληνικά.pdf", "Zürich – Ελληνικά.pdf"),
])
def test_hostile_file_names_are_made_harmless(given, shown) -> None:  # type: ignore[no-untyped-def]
    assert sanitise_filename(given) == shown


def test_long_file_names_are_cut_but_keep_pdf() -> None:
    name = sanitise_filename("x" * 500 + ".pdf")
    assert len(name) == 120
    assert name.endswith("xxx.pdf")


def test_a_real_pdf_is_measured() -> None:
    facts = inspect_pdf(io.BytesIO(PDF), page_limit=5, max_bytes=10_000_000)
    assert (facts.pages, facts.size) == (2, len(PDF))


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"Just some text pretending to be a PDF", "not a PDF"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a PDF"),
    (b"PK\x03\x04 a docx renamed to .pdf", "not a PDF"),
    (b"%PDF-1.7\n% but nothing else\n", "damaged"),
    (PDF[: len(PDF) // 2], "damaged"),
    (pdf_bytes(1, encrypted=True), "password"),
])
def test_files_that_are_not_usable_pdfs_are_refused(data, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=message):
        inspect_pdf(io.BytesIO(data), page_limit=None, max_bytes=10_000_000)


@pytest.mark.parametrize(("pages", "limit", "ok"), [(3, 3, True), (4, 3, False), (50, None, True)])
def test_the_page_limit_is_counted_not_trusted(pages, limit, ok) -> None:  # type: ignore[no-untyped-def]
    data = pdf_bytes(pages)
    if ok:
        assert inspect_pdf(io.BytesIO(data), page_limit=limit, max_bytes=10_000_000).pages == pages
    else:
        with pytest.raises(InvalidInput, match=f"has {pages} pages; the call allows at most {limit}"):
            inspect_pdf(io.BytesIO(data), page_limit=limit, max_bytes=10_000_000)


def test_the_size_limit_is_exact() -> None:
    assert inspect_pdf(io.BytesIO(PDF), page_limit=None, max_bytes=len(PDF)).size == len(PDF)
    with pytest.raises(FileTooLarge, match="larger than") as refused:
        inspect_pdf(io.BytesIO(PDF), page_limit=None, max_bytes=len(PDF) - 1)
    assert refused.value.status == 413


@dataclass(frozen=True)
class Draft:
    """A draft in an open call with a page limit of 3, and the applicant who started it."""

    proposal: Proposal
    applicant: User


@pytest.fixture
def draft(app_ctx: None, make_user: Callable[..., User]) -> Draft:
    user = db.session.get(User, make_user(Role.APPLICANT).id)
    proposal = create_proposal(make_open_call(page_limit=3), actor=user)  # type: ignore[arg-type]
    db.session.commit()
    return Draft(proposal, user)  # type: ignore[arg-type]


def test_an_upload_is_stored_under_its_hash_outside_the_static_folder(app, draft) -> None:  # type: ignore[no-untyped-def]
    proposal, user = draft.proposal, draft.applicant
    document = upload_annex(proposal, actor=user, kind=DocumentKind.PART_B, stream=io.BytesIO(PDF),
                            filename="../Part B.pdf")
    db.session.commit()
    storage = get_storage()
    assert isinstance(storage, LocalStorage)  # the suite's default backend; tests/test_storage.py runs both
    assert storage.read(document.sha256) == PDF
    path = storage.file_path(document.sha256)
    assert path.name == document.sha256
    assert Path(app.config["STORAGE_DIR"]) in path.parents
    assert Path(app.static_folder) not in path.parents  # type: ignore[arg-type]
    assert (document.filename, document.page_count, document.size_bytes) == ("Part B.pdf", 2, len(PDF))
    event = db.session.query(AuditEvent).filter_by(action="proposal.document_uploaded").one()
    assert event.data["sha256"] == document.sha256


def test_a_new_part_b_replaces_the_old_one_which_stays_stored(draft: Draft) -> None:
    proposal, user = draft.proposal, draft.applicant
    first = upload_annex(proposal, actor=user, kind=DocumentKind.PART_B, stream=io.BytesIO(PDF), filename="v1.pdf")
    letter = upload_annex(proposal, actor=user, kind=DocumentKind.SUPPORT_LETTER, stream=io.BytesIO(pdf_bytes(1)),
                          filename="letter.pdf")
    second = upload_annex(proposal, actor=user, kind=DocumentKind.PART_B, stream=io.BytesIO(pdf_bytes(3)),
                          filename="v2.pdf")
    db.session.commit()
    assert first.removed_at is not None
    assert second.removed_at is None
    assert letter.removed_at is None
    assert get_storage().exists(first.sha256)


def test_an_over_long_pdf_is_refused_and_nothing_is_stored(draft: Draft) -> None:
    proposal, user = draft.proposal, draft.applicant
    too_long = pdf_bytes(4, title="refused as too long, never stored")
    with pytest.raises(InvalidInput, match="4 pages"):
        upload_annex(proposal, actor=user, kind=DocumentKind.PART_B, stream=io.BytesIO(too_long),
                     filename="long.pdf")
    import hashlib

    assert not get_storage().exists(hashlib.sha256(too_long).hexdigest())
    assert proposal.documents == []


def test_the_per_file_limit_is_configurable(app, draft, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    proposal, user = draft.proposal, draft.applicant
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", len(PDF) - 1)
    with pytest.raises(FileTooLarge, match="larger than the"):
        upload_annex(proposal, actor=user, kind=DocumentKind.PART_B, stream=io.BytesIO(PDF), filename="b.pdf")


def test_an_upload_is_checked_and_stored_before_the_proposal_row_is_locked(draft: Draft, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Parsing, hashing and storing take long: they happen before the lock that saves and submissions wait for."""
    import hashlib

    from app.services import proposals as proposal_service

    proposal, user = draft.proposal, draft.applicant
    lock = proposal_service._lock_proposal
    seen = []

    def lock_and_look(target):  # type: ignore[no-untyped-def]
        seen.append(get_storage().exists(hashlib.sha256(PDF).hexdigest()))
        return lock(target)

    monkeypatch.setattr(proposal_service, "_lock_proposal", lock_and_look)
    upload_annex(proposal, actor=user, kind=DocumentKind.PART_B, stream=io.BytesIO(PDF), filename="b.pdf")
    assert seen == [True]


# --- hostile PDFs: cheap to send, dear to read ------------------------------------------------------------------

def _pdf_with_xref_streams(sections: int, *, padding: int = 0, declared_pages: int = 1) -> bytes:
    """A one-page PDF whose cross-reference is `sections` xref streams chained by /Prev, each inflating to its
    entries plus `padding` zero bytes (which no entry reaches), and whose page tree says `declared_pages`."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def write_object(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    write_object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    write_object(2, b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % declared_pages)
    write_object(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
    previous: int | None = None
    for section in range(sections):
        number = 4 + section
        offsets[number] = len(out)
        entries = b"\x00\x00\x00\x00\x00\xff\xff" + b"".join(
            b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in range(1, number + 1))
        data = zlib.compress(entries + b"\0" * padding, 9)
        prev = b" /Prev %d" % previous if previous is not None else b""
        header = (b"<< /Type /XRef /Size %d /W [1 4 2] /Index [0 %d] /Root 1 0 R /Filter /FlateDecode /Length %d%s >>"
                  % (number + 1, number + 1, len(data), prev))
        out.extend(b"%d 0 obj\n" % number + header + b"\nstream\n" + data + b"\nendstream\nendobj\n")
        previous = offsets[number]
    assert previous is not None
    out.extend(b"startxref\n%d\n%%%%EOF\n" % previous)
    return bytes(out)


def test_the_hand_built_pdfs_are_valid_when_small() -> None:
    """The builder above makes real PDFs: one section, no padding, an honest page count is accepted."""
    assert inspect_pdf(io.BytesIO(_pdf_with_xref_streams(1)), page_limit=5, max_bytes=10_000_000).pages == 1
    assert inspect_pdf(io.BytesIO(_pdf_with_xref_streams(32)), page_limit=5, max_bytes=10_000_000).pages == 1


def test_the_pdf_signature_must_be_at_byte_zero() -> None:
    # An HTML page with `%PDF-` in its first kilobyte was accepted: readers look further, the standard does not.
    for data in (b"<html><body>" + PDF, b"\n" + PDF, b"\xef\xbb\xbf" + PDF):
        with pytest.raises(InvalidInput, match="not a PDF"):
            inspect_pdf(io.BytesIO(data), page_limit=None, max_bytes=10_000_000)


def test_a_long_cross_reference_chain_is_refused() -> None:
    data = _pdf_with_xref_streams(40)  # the probe's 40 chained xref streams (without their 70 MB each)
    with pytest.raises(InvalidInput, match="takes too much work to read") as refused:
        inspect_pdf(io.BytesIO(data), page_limit=None, max_bytes=10_000_000)
    assert refused.value.details["limit"] == "xref_sections"


def test_streams_that_inflate_beyond_the_cap_together_are_refused() -> None:
    # Two streams of 40 MB each: each under pypdf's own 75 MB cap per stream, together over the 64 MB cap.
    data = _pdf_with_xref_streams(2, padding=40 * 1024 * 1024)
    assert len(data) < 200_000
    with pytest.raises(InvalidInput, match="takes too much work to read") as refused:
        inspect_pdf(io.BytesIO(data), page_limit=None, max_bytes=10_000_000)
    assert refused.value.details["limit"] == "inflated_bytes"


def test_the_page_count_is_read_from_the_page_tree_before_the_tree_is_walked() -> None:
    # The tree's root says 10,000 pages: refused on that, without walking the kids (here there is only one).
    data = _pdf_with_xref_streams(1, declared_pages=10_000)
    with pytest.raises(InvalidInput, match="has 10000 pages; the call allows at most 10") as refused:
        inspect_pdf(io.BytesIO(data), page_limit=10, max_bytes=10_000_000)
    assert refused.value.details["pages"] == 10_000


def test_an_inspection_that_exceeds_the_process_limits_is_refused_not_a_crash() -> None:
    # 16 MB of address space is too little for an interpreter with pypdf: the child dies, the file is refused.
    with pytest.raises(InvalidInput, match="takes too much work to read") as refused:
        inspect_pdf(io.BytesIO(PDF), page_limit=None, max_bytes=10_000_000,
                    limits=InspectionLimits(memory_bytes=16 * 1024 * 1024))
    assert refused.value.details["limit"] == "process"
