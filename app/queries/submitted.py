"""The submitted version of a proposal that screening and evaluation work on: the last version counts.

A submission freezes the proposal as a canonical JSON snapshot (`app/services/receipts.py`). Screening, the
conflict-of-interest rules and the evaluators' pages read that snapshot, never the live draft, which an
applicant may have changed after submitting without resubmitting. Rows written without a full snapshot (test
factories, older data) fall back to the proposal's own rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.enums import DocumentKind, OrganisationType
from app.extensions import db
from app.models import Call, Proposal, Submission


@dataclass(frozen=True)
class VersionPartner:
    position: int
    is_coordinator: bool
    name: str
    country: str
    organisation_type: OrganisationType
    contact_email: str = ""
    requested_amount: Decimal | None = None


@dataclass(frozen=True)
class VersionAnnex:
    kind: DocumentKind
    filename: str
    sha256: str
    size_bytes: int
    page_count: int
    removed_at: datetime | None = None  # the checklist reads it: annexes of a version are never removed

    @property
    def id(self) -> str:  # the checklist names annexes by filename; keep a stable key for templates
        return self.sha256


@dataclass(frozen=True)
class SubmittedVersion:
    """What the applicant submitted last, with the attributes the eligibility checklist reads."""

    proposal: Proposal
    version: int | None
    submitted_at: datetime | None
    acronym: str
    title: str
    abstract: str
    strand: str | None
    duration_months: int | None
    requested_grant: Decimal | None
    organisation_name: str
    organisation_country: str
    partners: list[VersionPartner] = field(default_factory=list)
    documents: list[VersionAnnex] = field(default_factory=list)
    keywords: tuple[str, ...] = ()

    @property
    def call(self) -> Call:
        return self.proposal.call

    @property
    def id(self) -> int:
        return self.proposal.id

    @property
    def reference(self) -> str:
        return self.proposal.reference

    @property
    def coordinator(self) -> VersionPartner | None:
        return next((p for p in self.partners if p.is_coordinator), self.partners[0] if self.partners else None)

    @property
    def coordinator_country(self) -> str:
        coordinator = self.coordinator
        return coordinator.country if coordinator is not None else self.organisation_country

    @property
    def consortium(self) -> list[tuple[str, str]]:
        """(name, country) of every member, the coordinator's organisation first."""
        members = [(self.organisation_name, self.organisation_country)]
        members += [(p.name, p.country) for p in self.partners]
        return members


def _money(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _from_snapshot(proposal: Proposal, submission: Submission, data: dict[str, Any]) -> SubmittedVersion:
    content = data["proposal"]
    organisation = content.get("organisation") or {}
    partners = [
        VersionPartner(
            position=int(p.get("position", i)), is_coordinator=bool(p.get("coordinator")), name=p.get("name") or "",
            country=p.get("country") or "", organisation_type=OrganisationType(p.get("organisation_type", "other")),
            contact_email=p.get("contact_email") or "", requested_amount=_money(p.get("requested_amount")),
        )
        for i, p in enumerate(content.get("partners") or [])
    ]
    annexes = [
        VersionAnnex(kind=DocumentKind(a["kind"]), filename=a.get("filename") or "annex.pdf", sha256=a["sha256"],
                     size_bytes=int(a.get("size") or 0), page_count=int(a.get("pages") or 0))
        for a in content.get("annexes") or []
    ]
    return SubmittedVersion(
        proposal=proposal, version=submission.version, submitted_at=submission.submitted_at,
        acronym=content.get("acronym") or "", title=content.get("title") or "", abstract=content.get("abstract") or "",
        strand=content.get("strand"), duration_months=content.get("duration_months"),
        requested_grant=_money(content.get("requested_grant")),
        organisation_name=organisation.get("name") or proposal.organisation.name,
        organisation_country=organisation.get("country") or proposal.organisation.country,
        partners=sorted(partners, key=lambda p: p.position), documents=annexes,
        keywords=tuple(content.get("keywords") or ()),
    )


def _from_rows(proposal: Proposal, submission: Submission | None) -> SubmittedVersion:
    return SubmittedVersion(
        proposal=proposal, version=submission.version if submission else None,
        submitted_at=submission.submitted_at if submission else None,
        acronym=proposal.acronym, title=proposal.title, abstract=proposal.abstract, strand=proposal.strand,
        duration_months=proposal.duration_months, requested_grant=proposal.requested_grant,
        organisation_name=proposal.organisation.name, organisation_country=proposal.organisation.country,
        partners=[VersionPartner(p.position, p.is_coordinator, p.name, p.country, p.organisation_type,
                                 p.contact_email, p.requested_amount) for p in proposal.partners],
        documents=[VersionAnnex(d.kind, d.filename, d.sha256, d.size_bytes, d.page_count)
                   for d in proposal.documents if d.removed_at is None],
        keywords=tuple(proposal.keywords or ()),
    )


def submitted_version(proposal: Proposal, submission: Submission | None = None) -> SubmittedVersion:
    """The last submitted version of `proposal` (its live rows when no full snapshot exists)."""
    submission = submission or proposal.latest_submission
    if submission is not None:
        try:
            data = json.loads(submission.snapshot)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("proposal"), dict):
            return _from_snapshot(proposal, submission, data)
    return _from_rows(proposal, submission)


def latest_submissions(proposal_ids: Iterable[int]) -> dict[int, Submission]:
    """The latest submission of each proposal, in one query."""
    ids = list(proposal_ids)
    if not ids:
        return {}
    latest = (sa.select(Submission.proposal_id, sa.func.max(Submission.version).label("version"))
              .where(Submission.proposal_id.in_(ids)).group_by(Submission.proposal_id).subquery())
    rows = db.session.scalars(sa.select(Submission).join(
        latest, sa.and_(Submission.proposal_id == latest.c.proposal_id, Submission.version == latest.c.version)))
    return {s.proposal_id: s for s in rows}


def submitted_versions(proposals: Iterable[Proposal]) -> dict[int, SubmittedVersion]:
    """The submitted version of many proposals in a fixed number of queries (partners must be loaded)."""
    proposals = list(proposals)
    submissions = latest_submissions(p.id for p in proposals)
    return {p.id: submitted_version(p, submissions.get(p.id)) for p in proposals}
