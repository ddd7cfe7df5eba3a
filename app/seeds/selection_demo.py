"""Demo data for ranking and selection: a submitted field of proposals, evaluated through the app's own services.

`seed_selection_demo(call)` gives a closed call a realistic field of proposals — consortia of cluster
organisations from several countries, each with its Part B, one per strand and more, most above the thresholds,
some below, two failing an eligibility check, and one residual tie on purpose — then evaluates it as a call is
evaluated (`app.seeds.evaluation_demo`): screening, the pool, the solver's assignments, three individual reports
per proposal, consensus drafted and approved. So ranking, selection, ties, finalisation, exports and letters can be
tried at once, on numbers that an evaluation produced.
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

from app.clock import utcnow
from app.enums import DocumentKind, Eligibility, OrganisationType, ProposalStatus, Role
from app.extensions import db
from app.models import Call, Criterion, Organisation, Partner, Proposal, Submission, User, UserRole
from app.seeds.accounts_demo import demo_evaluators
from app.seeds.evaluation_demo import agree_consensus, assign, demo_officer, screen, staff_pool, write_reports
from app.seeds.intake_demo import demo_part_b_with_pages
from app.services.accounts import find_or_create_organisation
from app.services.documents import StoredUpload, upload_document
from app.services.receipts import freeze_submission
from app.storage import get_storage

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
EVALUATOR_MAX_LOAD = 30  # nine demo evaluators take the 186 reports of the 62 eligible Euroclusters proposals
# The partners of a single-country consortium, all from the coordinator's city.
LOCAL_PARTNERS = ("Industry Cluster", "Technology Park", "Chamber of Commerce")
# Why the two proposals made ineligible fail: their own submitted checklist shows it.
SINGLE_COUNTRY, NO_PART_B = "single_country", "no_part_b"
# The evaluation's timeline, in days after the call's deadline.
SCREENED, ASSIGNED, REPORTS_IN, EVALUATION_DUE, CONSENSUS_DRAFTED, CONSENSUS_APPROVED = 3, 5, 20, 26, 25, 30


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
                organisation=organisation, role_links=[UserRole(role=Role.APPLICANT)], email_confirmed_at=utcnow())
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
    ineligible: str | None  # SINGLE_COUNTRY, NO_PART_B or None


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
        ineligible = (SINGLE_COUNTRY if call.min_countries > 1 else NO_PART_B) if index == count // 3 \
            else NO_PART_B if index == (2 * count) // 3 else None
        if index in (7, 8):  # a residual tie: the same score on every criterion
            scores = dict(tie_scores)
        used.add(tuple(scores.values()))
        yield _DemoDraw(_acronym(index), strand, cities, scores, requested, ineligible)


def seed_selection_demo(call: Call, *, count: int = 64, seed: int = 20211207, creator: User | None = None,
                        reports: bool = True, max_load: int = EVALUATOR_MAX_LOAD) -> int:
    """Create up to `count` demo proposals in the closed `call` and evaluate the new ones; returns how many are new.

    Without `reports`, the evaluation stops once the assignments are published: the evaluators have their
    reports to write. `max_load` is each demo evaluator's maximum in the call's pool.

    Side effects: organisations, proposals, partners, Part B files, submissions, screening decisions, the pool,
    assignments, individual and consensus reports, audit events; flushes (caller commits).
    """
    rng = random.Random(f"{seed}-{call.code}")  # noqa: S311 - demo data, not secrets
    creator = creator or _demo_creator()
    refreeze_legacy_demo_submissions(call)
    existing = set(db.session.scalars(sa.select(Proposal.acronym).where(Proposal.call_id == call.id)))
    number = db.session.scalar(sa.select(sa.func.max(Proposal.number)).where(Proposal.call_id == call.id)) or 0
    criteria = list(call.criteria)
    organisations: dict[tuple[str, str], Organisation] = {}
    targets: dict[int, dict[str, Decimal]] = {}
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
        if draw.ineligible != NO_PART_B:
            _upload_part_b(proposal, creator)
        # Frozen exactly as the submission service freezes a proposal: receipts, screening and evaluators read it.
        proposal.submissions.append(freeze_submission(proposal, version=1, submitted_by=creator,
                                                      submitted_at=call.deadline - timedelta(hours=2)))
        targets[proposal.id] = draw.scores
    db.session.flush()
    if targets:
        evaluate_field(call, targets, rng=random.Random(f"{seed}-{call.code}-reports"),  # noqa: S311 - demo data
                       reports=reports, max_load=max_load)
    return len(targets)


def evaluate_field(call: Call, targets: dict[int, dict[str, Decimal]], *, rng: random.Random, reports: bool = True,
                   max_load: int = EVALUATOR_MAX_LOAD) -> None:
    """Screen, assign, and (with `reports`) report and agree on the call's new proposals through the services, on
    the call's timeline (days after its deadline); `targets` are the consensus scores each eligible one converges
    on."""
    officer, day = demo_officer(), timedelta(days=1)
    screen(call, officer=officer, now=call.deadline + SCREENED * day)
    eligible = {proposal_id: scores for proposal_id, scores in targets.items()
                if db.session.get(Proposal, proposal_id).eligibility is Eligibility.ELIGIBLE}  # type: ignore[union-attr]
    if not eligible:  # a field of two or fewer: both made ineligible, nothing to evaluate
        return
    staff_pool(call, demo_evaluators(), officer=officer, max_load=max_load, now=call.deadline + SCREENED * day)
    assign(call, officer=officer, now=call.deadline + ASSIGNED * day,
           evaluation_deadline=call.deadline + EVALUATION_DUE * day)
    if not reports:
        return
    write_reports(call, eligible, rng, now=call.deadline + REPORTS_IN * day)
    agree_consensus(call, eligible, officer=officer, drafted=call.deadline + CONSENSUS_DRAFTED * day,
                    approved=call.deadline + CONSENSUS_APPROVED * day)


def _upload_part_b(proposal: Proposal, creator: User) -> None:
    """The proposal's own Part B, rendered and put in the storage as an applicant's upload is."""
    pdf, pages = demo_part_b_with_pages(proposal.acronym or "", proposal.title or "", paragraphs=1)
    key = get_storage().put_bytes(pdf)
    upload_document(proposal, actor=creator, kind=DocumentKind.PART_B,
                    stored=StoredUpload(key=key, size=len(pdf), pages=pages),
                    filename=f"{proposal.acronym} Part B.pdf")


def _demo_proposal(call: Call, draw: _DemoDraw, *, number: int, lead: Organisation, creator: User) -> Proposal:
    """A submitted proposal of three cluster partners sharing the requested grant, waiting for screening."""
    proposal = Proposal(
        call_id=call.id, number=number, reference=f"{call.code}-{number:04d}", organisation_id=lead.id,
        created_by_id=creator.id, status=ProposalStatus.SUBMITTED, acronym=draw.acronym,
        title=f"{draw.acronym.title()}: joint cluster initiative for {draw.strand or 'the call'}",
        abstract="A demo proposal created for trying ranking and selection.", strand=draw.strand,
        duration_months=36 if call.is_grant else 1,  # the checklist asks every proposal for its duration
        requested_grant=draw.requested if call.budget is not None else None,
    )
    share = (draw.requested / 3).quantize(Decimal("0.01"))
    for position, (city, country) in enumerate(draw.cities):
        name = f"{city} Industry Cluster"
        if draw.ineligible == SINGLE_COUNTRY:
            city, country = draw.cities[0]
            name = f"{city} {LOCAL_PARTNERS[position]}"
        amount = draw.requested - 2 * share if position == 2 else share
        proposal.partners.append(Partner(
            position=position, is_coordinator=position == 0, name=name, country=country,
            organisation_type=OrganisationType.CLUSTER,
            contact_email=f"contact{position or ''}@{city.lower()}-cluster.example",
            requested_amount=amount if call.budget is not None else None,
        ))
    return proposal
