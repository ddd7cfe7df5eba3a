"""Demo proposals for `flask seed demo`: the applicant@ account's work in the open practice calls.

Made through the real services (create, save, upload, submit), so the demo shows what the app produces:
a submitted Euroclusters proposal with a generated Part B and its receipt, and a half-finished event draft.
Idempotent: a proposal whose acronym already exists in the call is left alone.
"""

from __future__ import annotations

import io
from decimal import Decimal

import sqlalchemy as sa
from flask import render_template_string

from app.enums import DocumentKind, OrganisationType
from app.extensions import db
from app.inputs import PartnerInput, ProposalChanges
from app.models import Call, Proposal, User
from app.pdf import render_pdf_with_pages
from app.services.proposals import create_proposal, save_proposal, submit_proposal, upload_annex

DEMO_APPLICANT = "applicant@eurogrants.test"

_PART_B = """<!doctype html><html><head><meta charset="utf-8"><title>{{ acronym }} Part B</title>
<style>@page { size: A4; margin: 20mm; } body { font-family: "DejaVu Sans"; font-size: 10pt; line-height: 1.5; }
h1 { color: #003399; } h2 { page-break-before: always; color: #003399; } h2.first { page-break-before: avoid; }</style>
</head><body><h1>{{ acronym }}: {{ title }}</h1><p>Part B — technical description (demo document).</p>
{% for heading in headings %}<h2 class="{{ 'first' if loop.first or not paragraphs > 1 }}">{{ loop.index }}. \
{{ heading }}</h2>{% for _ in range(paragraphs) %}<p>{{ text }}</p>{% endfor %}{% endfor %}</body></html>"""

_TEXT = ("The consortium brings together cluster organisations from the Baltic, the Rhineland and southern France to "
         "help small and medium-sized enterprises of the mobility ecosystem adopt cleaner logistics, share "
         "testing facilities and enter new value chains across the Single Market.")


def demo_part_b_with_pages(acronym: str, title: str, *, paragraphs: int = 6) -> tuple[bytes, int]:
    """A short, real PDF rendered with WeasyPrint, and its number of pages: a page per chapter of `paragraphs`
    paragraphs, or all on one page with a single paragraph each (the evaluated field's, quicker to render)."""
    html = render_template_string(_PART_B, acronym=acronym, title=title, text=_TEXT, paragraphs=paragraphs,
                                  headings=["Relevance", "Quality of the design and the partnership", "Impact"])
    return render_pdf_with_pages(html)


def demo_part_b(acronym: str, title: str) -> bytes:
    return demo_part_b_with_pages(acronym, title)[0]


def _exists(call: Call, organisation_id: int, acronym: str) -> bool:
    return db.session.scalar(sa.select(Proposal.id).where(
        Proposal.call_id == call.id, Proposal.organisation_id == organisation_id, Proposal.acronym == acronym)
    ) is not None


def seed_demo_proposals() -> list[tuple[str, bool]]:
    """The applicant@ account's demo proposals; returns (label, created) pairs. The caller commits."""
    user = db.session.scalar(sa.select(User).where(User.email == DEMO_APPLICANT))
    results: list[tuple[str, bool]] = []
    if user is None or user.organisation_id is None:
        return results
    clusters = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01-PRACTICE"))
    if clusters is not None and clusters.is_open():
        label = f"{clusters.code}: GREENMOVE (submitted)"
        if _exists(clusters, user.organisation_id, "GREENMOVE"):
            results.append((label, False))
        else:
            proposal = create_proposal(clusters, actor=user)
            title = "Greener mobility value chains across the Baltic and the Rhine"
            summary = ProposalChanges(
                acronym="GREENMOVE", title=title, strand="Mobility-Transport-Automotive", abstract=_TEXT,
                duration_months=36, requested_grant=Decimal("1200000.00"), coordinator_contact_email=user.email,
                partners=(
                    PartnerInput("Cluster Rhein-Ruhr Mobilität", "DE", OrganisationType.CLUSTER,
                                 "office@rhein-ruhr.example.org", Decimal("400000.00")),
                    PartnerInput("Pôle Mobilité Sud", "FR", OrganisationType.BUSINESS_SUPPORT,
                                 "contact@pole-sud.example.org", Decimal("300000.00")),
                ),
            )
            save_proposal(proposal, actor=user, base_version=proposal.edit_version, section="demo", changes=summary)
            save_proposal(proposal, actor=user, base_version=proposal.edit_version, section="demo",
                          changes=ProposalChanges(amounts=(Decimal("500000.00"), Decimal("400000.00"),
                                                           Decimal("300000.00"))))
            part_b = io.BytesIO(demo_part_b("GREENMOVE", title))
            upload_annex(proposal, actor=user, kind=DocumentKind.PART_B, stream=part_b, filename="GREENMOVE Part B.pdf")
            submit_proposal(proposal, actor=user)
            results.append((label, True))
    sessions = db.session.scalar(sa.select(Call).where(Call.code == "EUID-2022-SESSIONS-PRACTICE"))
    if sessions is not None and sessions.is_open():
        label = f"{sessions.code}: YOUTHWORKS (draft)"
        if _exists(sessions, user.organisation_id, "YOUTHWORKS"):
            results.append((label, False))
        else:
            proposal = create_proposal(sessions, actor=user)
            save_proposal(proposal, actor=user, base_version=proposal.edit_version, section="demo",
                          changes=ProposalChanges(acronym="YOUTHWORKS", strand="Youth in industry",
                                                  title="Young makers in industry: a stakeholder session"))
            results.append((label, True))
    return results
