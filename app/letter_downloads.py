"""Responses that hand decision letters (one PDF, or a run's ZIP) to people who may read them."""

from __future__ import annotations

import io

from flask import Response, send_file

from app.models import Letter, SelectionRun
from app.services import letters as letter_service


def _harden(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def send_letter(letter: Letter, *, as_attachment: bool = False) -> Response:
    """The stored PDF, byte for byte (its SHA-256 is the one the verification page shows)."""
    response = send_file(io.BytesIO(letter_service.letter_pdf(letter)), mimetype="application/pdf",
                         as_attachment=as_attachment, download_name=letter_service.letter_filename(letter),
                         etag=letter.sha256, max_age=0)
    return _harden(response)


def send_letters_zip(run: SelectionRun, letters: list[Letter]) -> Response:
    response = send_file(io.BytesIO(letter_service.letters_zip(run, letters)), mimetype="application/zip",
                         as_attachment=True, download_name=f"{run.call.code}-run{run.number}-letters.zip", max_age=0)
    return _harden(response)
