"""The accessibility statement the Web Accessibility Directive asks for, linked from every page's footer."""

from __future__ import annotations

import re

import pytest


def test_every_page_links_to_the_accessibility_statement(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/auth/login", "/verify"):
        assert re.search(r'<footer.*href="/accessibility"[^>]*>Accessibility statement</a>',
                         client.get(path).get_data(as_text=True), re.S)


@pytest.mark.parametrize(("tagged", "says"), [(False, "PDF files without tags on this site"),
                                              (True, "tagged the same way")])
def test_the_statement_has_the_parts_the_model_statement_requires(client, app, monkeypatch, tagged: bool,  # type: ignore[no-untyped-def]
                                                                  says: str) -> None:
    monkeypatch.setitem(app.config, "LETTER_PDF_TAGS", tagged)
    monkeypatch.setitem(app.config, "ACCESSIBILITY_CONTACT_EMAIL", "a11y@agency.example")
    page = client.get("/accessibility").get_data(as_text=True)
    for heading in ("Compliance status", "Content that is not accessible", "Feedback and contact information",
                    "Enforcement procedure"):
        assert f">{heading}</h2>" in page
    assert "<strong>partially compliant</strong>" in page
    assert 'href="mailto:a11y@agency.example"' in page
    assert "https://www.ombudsman.europa.eu/en/make-a-complaint" in page
    assert says in page
