"""Demo data for ranking and selection: submitted proposals with approved consensus scores.

`seed_selection_demo(call)` gives a call a realistic field of proposals — consortia of cluster organisations
from several countries, one per strand and more, most above the thresholds, some below, two ineligible, and one
residual tie on purpose — so that ranking, selection, ties, finalisation and exports can be tried at once.
Deterministic (a fixed seed) and idempotent: proposals it already created (by acronym) are not created again.
Each has a submitted version frozen by `receipts.freeze_submission`, as a real submission is, so its receipt,
page and PDF, opens like any other.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.enums import Eligibility, OrganisationType, ProposalStatus, ReportStatus, Role
from app.extensions import db
from app.models import (
    Call,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    Organisation,
    Partner,
    Proposal,
    Submission,
    User,
    UserRole,
)
from app.services.accounts import find_or_create_organisation
from app.services.receipts import freeze_submission

DEMO_APPLICANT = "consortia@eurogrants.test"
LEGACY_RECEIPT_PREFIX = "DEMO-"  # receipts of the hand-made versions of earlier seeds (real ones start with EG-)
CITIES = [
    ("Vilnius", "LT"), ("Tampere", "FI"), ("Porto", "PT"), ("Lyon", "FR"), ("Stuttgart", "DE"), ("Bilbao", "ES"),
    ("Eindhoven", "NL"), ("Ghent", "BE"), ("Graz", "AT"), ("Brno", "CZ"), ("Cluj", "RO"), ("Turin", "IT"),
    ("Aarhus", "DK"), ("Gdansk", "PL"), ("Tartu", "EE"), ("Riga", "LV"), ("Ljubljana", "SI"), ("Cork", "IE"),
    ("Thessaloniki", "GR"), ("Kosice", "SK"), ("Pecs", "HU"), ("Plovdiv", "BG"), ("Split", "HR"), ("Umea", "SE"),
]
PREFIXES = ["EURO", "INNO", "GREEN", "DIGI", "BALT", "MED", "ALP", "NORD", "DANU", "ATLAN"]
SUFFIXES = ["LINK", "HUB", "NET", "BRIDGE", "SCALE", "TWIN", "FLOW"]
COMMENTS = {
    "high": "The proposal is convincing on this criterion; the objectives are specific and well evidenced.",
    "mid": "Adequate on this criterion, with some shortcomings in the detail of the work plan.",
    "low": "Weak on this criterion: the approach is insufficiently described and the evidence thin.",
}


def _score(rng: random.Random) -> Decimal:
    """A consensus score in half points, mostly 3 to 4.5."""
    return Decimal(min(10, max(2, round(rng.gauss(7.4, 1.3))))) / 2


def _demo_creator() -> User:
    user: User | None = db.session.scalar(sa.select(User).where(User.email == DEMO_APPLICANT))
    if user is not None:
        return user
    organisation = find_or_create_organisation("Demo Consortia Office", "BE", OrganisationType.OTHER)
    # No usable password: the account only owns demo proposals; nobody logs in with it.
    user = User(email=DEMO_APPLICANT, full_name="Demo consortia", password_hash="!demo-no-login",  # noqa: S106 - not a hash: unusable
                organisation=organisation, role_links=[UserRole(role=Role.APPLICANT)])
    db.session.add(user)
    db.session.flush()
    return user


def _acronym(index: int) -> str:
    """EUROLINK, INNOLINK … then numbered once the 70 combinations are used."""
    base = PREFIXES[index % len(PREFIXES)] + SUFFIXES[(index // len(PREFIXES)) % len(SUFFIXES)]
    cycle = index // (len(PREFIXES) * len(SUFFIXES))
    return base if cycle == 0 else f"{base}{cycle + 1}"


def refreeze_legacy_demo_submissions(call: Call) -> int:
    """Replace the demo versions an earlier seed wrote by hand (receipt `DEMO-…`, a partial snapshot without the
    proposal's content, on which receipts failed) with versions frozen like real ones; returns how many.

    These rows are the seed's own and no applicant ever submitted them, so replacing them (a delete and an
    insert; a Submission is never updated) loses nothing. Side effect: flushes.
    """
    legacy = list(db.session.scalars(
        sa.select(Submission).join(Proposal, Proposal.id == Submission.proposal_id)
        .where(Proposal.call_id == call.id, Submission.receipt_number.startswith(LEGACY_RECEIPT_PREFIX))))
    for old in legacy:
        proposal, version, submitted_at, submitted_by = old.proposal, old.version, old.submitted_at, old.submitted_by
        proposal.submissions.remove(old)
        db.session.flush()  # frees (proposal, version) for the new row
        proposal.submissions.append(freeze_submission(proposal, version=version, submitted_at=submitted_at,
                                                      submitted_by=submitted_by))
    db.session.flush()
    return len(legacy)


@dataclass(frozen=True)
class _DemoDraw:
    """One demo proposal's random values."""

    acronym: str
    strand: str | None
    cities: list[tuple[str, str]]
    scores: dict[str, Decimal]
    requested: Decimal
    ineligible: bool


def _draw_field(rng: random.Random, call: Call, criteria: list[Criterion], count: int) -> Iterator[_DemoDraw]:
    """The field's values, one proposal at a time, always in the same order from the same seed."""
    strands: list[str | None] = list(call.strands or []) or [None]
    tie_scores = {criterion.key: Decimal("4.0") for criterion in criteria}
    used: set[tuple[Decimal, ...]] = {tuple(tie_scores.values())}
    for index in range(count):
        strand = strands[index % len(strands)] if index < len(strands) else rng.choice(strands)
        cities = rng.sample(CITIES, 3)
        # Distinct score sets, so that the only residual tie is the one made on purpose (proposals 8 and 9).
        scores = {criterion.key: _score(rng) for criterion in criteria}
        for _ in range(50):
            if tuple(scores.values()) not in used:
                break
            scores = {criterion.key: _score(rng) for criterion in criteria}
        requested = Decimal(rng.randrange(700, 1401)) * 1000
        ineligible = index in (count // 3, (2 * count) // 3)
        if index in (7, 8):  # a residual tie: the same score on every criterion
            scores = dict(tie_scores)
        used.add(tuple(scores.values()))
        yield _DemoDraw(_acronym(index), strand, cities, scores, requested, ineligible)


def seed_selection_demo(call: Call, *, count: int = 64, seed: int = 20211207, creator: User | None = None) -> int:
    """Create up to `count` demo proposals in `call` with approved consensus scores; returns how many are new.

    Side effects: organisations, proposals, partners, submissions, consensus reports; flushes (caller commits).
    """
    rng = random.Random(f"{seed}-{call.code}")  # noqa: S311 - demo data, not secrets
    creator = creator or _demo_creator()
    refreeze_legacy_demo_submissions(call)
    existing = set(db.session.scalars(sa.select(Proposal.acronym).where(Proposal.call_id == call.id)))
    number = db.session.scalar(sa.select(sa.func.max(Proposal.number)).where(Proposal.call_id == call.id)) or 0
    criteria = list(call.criteria)
    organisations: dict[tuple[str, str], Organisation] = {}
    created = 0
    # Every proposal's values are drawn, created or not, so the field is the same whatever already exists.
    for draw in _draw_field(rng, call, criteria, count):
        if draw.acronym in existing:
            continue
        number += 1
        city, country = draw.cities[0]
        if (city, country) not in organisations:
            organisations[(city, country)] = find_or_create_organisation(f"{city} Industry Cluster", country,
                                                                         OrganisationType.CLUSTER)
        proposal = _demo_proposal(call, draw, number=number, lead=organisations[(city, country)], creator=creator)
        db.session.add(proposal)
        db.session.flush()
        # Frozen exactly as the submission service freezes a proposal: receipts, screening and evaluators read it.
        proposal.submissions.append(freeze_submission(proposal, version=1, submitted_by=creator,
                                                      submitted_at=call.deadline - timedelta(hours=2)))
        if not draw.ineligible:
            db.session.add(_approved_consensus(call, proposal, criteria, draw.scores))
        created += 1
    db.session.flush()
    return created


def _demo_proposal(call: Call, draw: _DemoDraw, *, number: int, lead: Organisation, creator: User) -> Proposal:
    """A submitted, screened proposal of three cluster partners sharing the requested grant."""
    proposal = Proposal(
        call_id=call.id, number=number, reference=f"{call.code}-{number:04d}", organisation_id=lead.id,
        created_by_id=creator.id, status=ProposalStatus.SUBMITTED, acronym=draw.acronym,
        title=f"{draw.acronym.title()}: joint cluster initiative for {draw.strand or 'the call'}",
        abstract="A demo proposal created for trying ranking and selection.", strand=draw.strand,
        duration_months=36 if call.is_grant else None,
        requested_grant=draw.requested if call.budget is not None else None,
        eligibility=Eligibility.INELIGIBLE if draw.ineligible else Eligibility.ELIGIBLE,
        eligibility_reason="The consortium does not meet the minimum number of countries." if draw.ineligible
        else None,
        screened_at=call.deadline + timedelta(days=3),
    )
    share = (draw.requested / 3).quantize(Decimal("0.01"))
    for position, (city, country) in enumerate(draw.cities):
        amount = draw.requested - 2 * share if position == 2 else share
        proposal.partners.append(Partner(
            position=position, is_coordinator=position == 0, name=f"{city} Industry Cluster", country=country,
            organisation_type=OrganisationType.CLUSTER, contact_email=f"contact@{city.lower()}-cluster.example",
            requested_amount=amount if call.budget is not None else None,
        ))
    return proposal


def _approved_consensus(call: Call, proposal: Proposal, criteria: list[Criterion],
                        scores: dict[str, Decimal]) -> ConsensusReport:
    """The proposal's approved consensus report, a comment per criterion matching its score."""
    report = ConsensusReport(proposal_id=proposal.id, status=ReportStatus.APPROVED,
                             overall_comment="Consensus reached by the three evaluators.",
                             submitted_at=call.deadline + timedelta(days=25),
                             approved_at=call.deadline + timedelta(days=30))
    for criterion in criteria:
        score = scores[criterion.key]
        level = "high" if score >= 4 else "mid" if score >= 3 else "low"
        report.scores.append(ConsensusScore(criterion_id=criterion.id, score=score,
                                            comment=f"{criterion.name}: {COMMENTS[level]}"))
    return report
