"""A letter as a file: the same letter renders to the same bytes (and to what the batch stored), and a run's ZIP
holds every letter and a manifest, the same bytes every time."""

from __future__ import annotations

import hashlib
import io
import zipfile

import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.letter_files import LETTER_STYLESHEETS, letter_filename, letter_html, letters_zip, render_letter
from app.models import Letter
from app.pdf import render_pdf
from app.queries.letters import approved_reports
from app.queries.outcomes import run_outcomes
from tests.letter_worlds import generate, letter_of


def test_rendering_the_same_letter_twice_gives_the_same_bytes(scenario, officer) -> None:
    generate(scenario["run"], officer)
    run = scenario["run"]
    outcomes = run_outcomes(run)
    for proposal in scenario["proposals"].values():
        report = approved_reports([proposal.id]).get(proposal.id)
        outcome = outcomes.by_reference()[proposal.reference]
        first = render_letter(proposal, run, outcome, report, rules=outcomes.rules)
        second = render_letter(proposal, run, outcome, report, rules=outcomes.rules)
        assert first.pdf == second.pdf
        html = letter_html(proposal, run, outcome, report, rules=outcomes.rules)
        # the receipt's function gives the same bytes
        assert render_pdf(html, stylesheets=LETTER_STYLESHEETS) == first.pdf
        assert first.pages == len(PdfReader(io.BytesIO(first.pdf)).pages)
        letter, _ = letter_of(proposal)
        assert first.sha256 == letter.sha256
        metadata = PdfReader(io.BytesIO(first.pdf)).metadata
        assert metadata["/CreationDate"].startswith("D:20220315103000")
        assert metadata["/ModDate"].startswith("D:20220315103000")


def test_zip_holds_every_letter_and_a_manifest_and_is_reproducible(scenario, officer) -> None:
    generate(scenario["run"], officer)
    data = letters_zip(scenario["run"])
    assert data == letters_zip(scenario["run"])
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert len(names) == 6
    assert names[-1] == "manifest.csv"
    manifest = archive.read("manifest.csv").decode()
    for letter in db.session.scalars(sa.select(Letter)):
        name = letter_filename(letter)
        assert hashlib.sha256(archive.read(name)).hexdigest() == letter.sha256
        assert f"{letter.reference}," in manifest
        assert letter.sha256 in manifest



def _structure(pdf: bytes) -> bool:
    """Whether a PDF carries the tag tree screen readers follow."""
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    return "/StructTreeRoot" in root and bool(root.get("/MarkInfo", {}).get("/Marked"))


def test_letters_are_tagged_when_the_setting_asks_for_it(app, scenario, officer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    generate(scenario["run"], officer)
    run = scenario["run"]
    outcomes = run_outcomes(run)
    proposal = next(iter(scenario["proposals"].values()))
    report = approved_reports([proposal.id]).get(proposal.id)
    outcome = outcomes.by_reference()[proposal.reference]
    assert not _structure(render_letter(proposal, run, outcome, report, rules=outcomes.rules).pdf)
    monkeypatch.setitem(app.config, "LETTER_PDF_TAGS", True)
    assert _structure(render_letter(proposal, run, outcome, report, rules=outcomes.rules).pdf)


def test_the_redress_paragraph_is_the_translated_standard_one_unless_the_call_gives_its_own(scenario) -> None:  # type: ignore[no-untyped-def]
    run, proposal = scenario["run"], scenario["proposals"]["not_funded"]
    outcomes = run_outcomes(run)
    outcome = outcomes.by_reference()[proposal.reference]

    def letter() -> str:
        return " ".join(letter_html(proposal, run, outcome, None, rules=outcomes.rules).split())

    assert "You may also complain to the European Ombudsman" in letter()
    proposal.created_by.language = "fr"
    assert "Vous pouvez également saisir le Médiateur européen" in letter()
    # An officer's own wording is user content: printed as written (escaped), in every language.
    scenario["call"].redress_wording = "Vous pouvez demander à la Commission <b>un réexamen</b> (art. 22)."
    french = letter()
    assert "Vous pouvez demander à la Commission &lt;b&gt;un réexamen&lt;/b&gt; (art. 22)." in french
    assert "Médiateur" not in french
    # The review in the portal, with the call's days, stays: the wording replaces the further means of redress only.
    assert "une demande de réexamen de l’évaluation dans un délai de 30 jours" in french
