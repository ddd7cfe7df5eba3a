"""Hostile text in every field an applicant or expert writes: nothing is fetched or run, the letter still renders."""

from __future__ import annotations

import io
import socket
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

import app.pdf as pdf_module
from app.enums import Role
from app.extensions import db
from app.letter_files import letter_html, render_letter
from app.pdf import RefusedURL, static_path_for
from app.queries.letters import approved_reports
from app.queries.outcomes import run_outcomes
from tests.factories import make_letter_scenario


class Listener:
    """A TCP server on 127.0.0.1 that records every connection (there must be none)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def hostile(port: int) -> list[str]:
    return [
        '<img src="http://127.0.0.1:9/x">',
        f'<img src="http://127.0.0.1:{port}/x">',
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">',
        '<img src="file:///etc/passwd">',
        "file:///etc/passwd",
        '<object data="file:///etc/passwd"></object>',
        "<script>document.write('pwned')</script>",
        '<style>@import url("http://127.0.0.1:9/x.css");</style>',
        '<svg><image href="file:///etc/passwd"/></svg>',
    ]


def test_hostile_text_in_every_field_is_printed_as_text_and_nothing_is_fetched(
        app, app_ctx, make_user, listener, monkeypatch) -> None:
    payloads = hostile(listener.port)
    text = "\n".join(payloads)
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Hostile " + payloads[0][:150], country="LT"))
    data = make_letter_scenario(applicant)
    for proposal in data["proposals"].values():
        proposal.acronym = payloads[0][:30]  # '<img src="http://127.0.0.1:9/x">' fits the 30 characters
        proposal.title = text[:300]
        proposal.strand = payloads[3][:100]
        proposal.eligibility_reason = text
        for partner in proposal.partners:
            partner.name = payloads[1][:200]
            partner.contact_email = "x@example.test"
    from app.models import ConsensusReport

    for report in db.session.query(ConsensusReport).all():
        report.overall_comment = text
        for score in report.scores:
            score.comment = text
    db.session.commit()

    fetched: list[str] = []
    original = pdf_module.StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_module.StaticOnlyFetcher, "fetch", spy)
    # Images are cached per process; start empty so that this test sees what a letter fetches.
    monkeypatch.setattr(pdf_module, "_IMAGE_CACHE", {})
    run = data["run"]
    outcomes = run_outcomes(run)
    for status, proposal in data["proposals"].items():
        report = approved_reports([proposal.id]).get(proposal.id)
        outcome = outcomes.by_reference()[proposal.reference]
        html = letter_html(proposal, run, outcome, report, rules=outcomes.rules)
        assert "<script>" not in html
        assert "<img src=\"http" not in html
        assert "<img src=\"file" not in html
        assert "&lt;script&gt;" in html
        letter = render_letter(proposal, run, outcome, report, rules=outcomes.rules)
        reader = PdfReader(io.BytesIO(letter.pdf))
        extracted = " ".join(page.extract_text() for page in reader.pages)
        # Printed as text: the escaped markup is visible in the letter, so it was never markup.
        assert "<img src=" in extracted, status
        assert "file:///etc/passwd" in " ".join(extracted.split()), status
        if status != "ineligible":
            assert "<script>" in extracted, status
        assert "pwned" not in extracted.replace("document.write('pwned')", ""), status
        assert "/JavaScript" not in letter.pdf.decode("latin-1")
        assert "/JS " not in letter.pdf.decode("latin-1")

    static = Path(pdf_module.STATIC_DIR)
    assert fetched, "the letter's own emblem is fetched"
    for url in fetched:
        assert static_path_for(url).is_relative_to(static)
    # The style sheet is parsed once per process from app/static (app.pdf._stylesheets); only the emblem is
    # fetched, and only once for all the letters (app.pdf._IMAGE_CACHE).
    assert [Path(static_path_for(url)).name for url in fetched] == ["letterhead-emblem.png"]
    assert listener.connections == 0


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x", "https://example.org/logo.png", "file:///etc/passwd",
    f"file://{Path(pdf_module.STATIC_DIR)}/../../config.py", f"file://{Path(pdf_module.STATIC_DIR)}/%2e%2e/__init__.py",
    "data:text/css,body{}", "ftp://127.0.0.1/x", f"file://remote-host{Path(pdf_module.STATIC_DIR)}/css/print.css",
])
def test_the_fetcher_refuses_anything_but_our_static_files(url) -> None:
    with pytest.raises(RefusedURL):
        static_path_for(url)


def test_the_fetcher_serves_the_letter_stylesheet() -> None:
    path = static_path_for(f"file://{Path(pdf_module.STATIC_DIR)}/css/print.css")
    assert path.name == "print.css"
