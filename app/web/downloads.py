"""Responses that hand files to people: annexes, receipt PDFs, snapshots, decision letters, ranking exports.

The caller has already decided that the user may see the proposal (`app.queries.access.can_view_proposal`,
through `load_proposal_for_viewer`); these helpers only shape the response: always an attachment, never
cached by shared caches, never sniffed into something other than what it is.
"""

from __future__ import annotations

import io

from flask import Response, render_template, send_file

from app import letter_files
from app.models import Document, Letter, SelectionRun, Submission
from app.pdf import render_pdf
from app.queries.documents import open_document
from app.queries.receipts import receipt_context, receipt_filename, require_content, snapshot_text


def _harden(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def send_annex(document: Document) -> Response:
    """The annex's bytes as a PDF attachment under its sanitised display name."""
    response = send_file(open_document(document), mimetype="application/pdf", as_attachment=True,
                         download_name=document.filename, max_age=0, etag=document.sha256,
                         last_modified=document.uploaded_at)
    response.headers["Content-Length"] = str(document.size_bytes)
    return _harden(response)


def send_receipt_pdf(submission: Submission) -> Response:
    """The receipt PDF, rendered from the frozen snapshot (deterministic: same submission, same bytes); 410 once
    the version's content was erased under its rule."""
    require_content(submission)
    # A receipt is rendered one at a time, on demand: always tagged for screen readers.
    pdf = render_pdf(render_template("pdf/receipt.html", **receipt_context(submission)), tagged=True)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{receipt_filename(submission)}"'
    return _harden(response)


def send_snapshot(submission: Submission) -> Response:
    """The exact snapshot text that was hashed: `sha256sum` of this file equals the receipt's hash."""
    response = Response(snapshot_text(submission).encode("utf-8"), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="snapshot-{submission.receipt_number}.json"')
    return _harden(response)


def send_letter(letter: Letter, *, as_attachment: bool = False) -> Response:
    """The stored letter PDF, byte for byte (its SHA-256 is the one the verification page shows)."""
    response = send_file(io.BytesIO(letter_files.letter_pdf(letter)), mimetype="application/pdf",
                         as_attachment=as_attachment, download_name=letter_files.letter_filename(letter),
                         etag=letter.sha256, max_age=0)
    return _harden(response)


def send_letters_zip(run: SelectionRun, letters: list[Letter]) -> Response:
    """Every letter of a run and its manifest, as one ZIP attachment."""
    response = send_file(io.BytesIO(letter_files.letters_zip(run, letters)), mimetype="application/zip",
                         as_attachment=True, download_name=f"{run.call.code}-run{run.number}-letters.zip", max_age=0)
    return _harden(response)


def send_attachment(body: bytes, *, media_type: str, filename: str) -> Response:
    """Bytes made for this request (a ranking export) as an attachment; never cached, they show live data."""
    response = Response(body, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
