"""A decision letter as a file: rendered to PDF from what it says (`app.queries.letter_context`), read back from the
storage, and a run's letters in one ZIP with a manifest. The same letter always gives the same bytes."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, render_template

from app.enums import CallKind, LetterKind
from app.models import Call, ConsensusReport, Letter, Proposal, RedressRequest, SelectionRun
from app.pdf import render_pdf_with_pages
from app.queries.erasure import require_letter_file
from app.queries.letter_context import (
    decision_moment,
    letter_context,
    redress_closing_context,
    redress_reply_context,
)
from app.queries.letters import letter_language, run_letters
from app.queries.outcomes import Outcome
from app.spreadsheets import csv_text
from app.storage import get_storage
from app.translation import in_language
from scoring import Rules

# Passed to the renderer pre-parsed rather than linked from the template (see app.pdf._stylesheets).
LETTER_STYLESHEETS = ("css/print.css",)


@dataclass(frozen=True)
class RenderedLetter:
    kind: LetterKind
    reference: str
    verification_code: str
    decision_date: datetime
    pdf: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


# A call for expression of interest writes mission letters: a place in the mission, its reserve list, or none.
MISSION_TEMPLATES = {LetterKind.AWARD: "pdf/letter_mission_selected.html",
                     LetterKind.RESERVE: "pdf/letter_mission_reserve.html",
                     LetterKind.REJECTION: "pdf/letter_mission_not_selected.html"}


def template_for(kind: LetterKind, call: Call) -> str:
    if call.is_assessed and kind in MISSION_TEMPLATES:
        return MISSION_TEMPLATES[kind]
    if call.kind is CallKind.EVENT:
        if kind is LetterKind.AWARD:
            return "pdf/letter_event_acceptance.html"
        if kind is LetterKind.REJECTION:
            return "pdf/letter_event_non_acceptance.html"
    return f"pdf/letter_{kind.value}.html"


def render_letter(proposal: Proposal, run: SelectionRun, outcome: Outcome, report: ConsensusReport | None, *,
                  rules: Rules, transfer_call: Call | None = None) -> RenderedLetter:
    """Render one letter to PDF, in the coordinator's language (pure: the same inputs give the same bytes)."""
    with in_language(letter_language(proposal)):
        context = letter_context(proposal, run, outcome, report, rules=rules, transfer_call=transfer_call)
        kind = LetterKind(context["kind"])
        html = render_template(template_for(kind, run.call), **context)
    pdf, pages = render_pdf_with_pages(html, stylesheets=LETTER_STYLESHEETS,
                                       tagged=bool(current_app.config["LETTER_PDF_TAGS"]))
    return RenderedLetter(kind=kind, reference=context["reference"],
                          verification_code=context["verification_code"], decision_date=decision_moment(run),
                          pdf=pdf, pages=pages)


def letter_html(proposal: Proposal, run: SelectionRun, outcome: Outcome, report: ConsensusReport | None, *,
                rules: Rules, transfer_call: Call | None = None) -> str:
    """The HTML a letter is rendered from (for the benchmark and for previews), in the coordinator's language."""
    with in_language(letter_language(proposal)):
        context = letter_context(proposal, run, outcome, report, rules=rules, transfer_call=transfer_call)
        return render_template(template_for(LetterKind(context["kind"]), run.call), **context)


def letter_filename(letter: Letter) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{letter.reference}_{letter.kind.value}")
    return f"{safe}.pdf"


def letters_zip(run: SelectionRun, letters: Sequence[Letter] | None = None) -> bytes:
    """Every stored letter of the run in one ZIP, with a manifest; the same letters give the same bytes."""
    letters = run_letters(run) if letters is None else letters
    storage = get_storage()
    stamp = decision_moment(run).timetuple()[:6]
    buffer = io.BytesIO()
    # Through the one spreadsheet writer: an acronym such as =HYPERLINK(...) is text in the manifest, not a formula.
    manifest: list[list[object]] = [
        ["file", "reference", "proposal", "acronym", "kind", "sha256", "verification_code", "pages"]]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for letter in letters:
            if not storage.exists(letter.sha256):
                continue
            name = letter_filename(letter)
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), storage.read(letter.sha256))
            manifest.append([name, letter.reference, letter.proposal.reference, letter.proposal.acronym,
                             letter.kind.value, letter.sha256, letter.verification_code, letter.page_count])
        archive.writestr(zipfile.ZipInfo("manifest.csv", date_time=stamp), csv_text(manifest, line_end="\n"))
    return buffer.getvalue()


def letter_pdf(letter: Letter) -> bytes:
    """The stored PDF; ContentErased (410) when the proposal's personal content was erased under its rule."""
    require_letter_file(letter)
    return get_storage().read(letter.sha256)


def render_redress_closing(request: RedressRequest, *, reference: str, outcome: dict[str, Any],
                           decided: datetime) -> RenderedLetter:
    """The letter closing an upheld evaluation review (the re-evaluation's result and the outcome it leads to),
    rendered to PDF in the coordinator's language (same inputs, same bytes)."""
    with in_language(letter_language(request.proposal)):
        context = redress_closing_context(request, reference=reference, outcome=outcome, decided=decided)
        html = render_template("pdf/letter_redress_closing.html", **context)
    return _redress_letter_pdf(html, context, decided)


def render_redress_reply(request: RedressRequest, *, reference: str, assessment: str,
                         decided: datetime) -> RenderedLetter:
    """The review committee's reply to an evaluation review request, rendered to PDF in the coordinator's language
    (same inputs, same bytes)."""
    with in_language(letter_language(request.proposal)):
        context = redress_reply_context(request, reference=reference, assessment=assessment, decided=decided)
        html = render_template("pdf/letter_redress_reply.html", **context)
    return _redress_letter_pdf(html, context, decided)


def _redress_letter_pdf(html: str, context: dict[str, Any], decided: datetime) -> RenderedLetter:
    pdf, pages = render_pdf_with_pages(html, stylesheets=LETTER_STYLESHEETS,
                                       tagged=bool(current_app.config["LETTER_PDF_TAGS"]))
    return RenderedLetter(kind=LetterKind.REDRESS_REPLY, reference=context["reference"],
                          verification_code=context["verification_code"], decision_date=decided, pdf=pdf, pages=pages)
