"""Builders that put realistic rows straight into the database, for tests of later stages.

They bypass the services on purpose (an evaluation test needs submitted proposals, not the submit flow).
Call them inside an app context; they flush, the caller commits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.enums import (
    AssignmentState,
    CallKind,
    ConflictDeclaration,
    Eligibility,
    OrganisationType,
    ProposalStatus,
    ReportStatus,
)
from app.extensions import db
from app.models import (
    Assignment,
    Call,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    Organisation,
    Partner,
    Proposal,
    Submission,
    User,
)
from app.services.accounts import find_or_create_organisation

PAST_DEADLINE = datetime(2021, 12, 7, 16, 0, tzinfo=UTC)


def make_call(code: str = "TEST-CALL", *, deadline: datetime = PAST_DEADLINE,
              budget: Decimal | None = Decimal("42000000.00"), max_awards: int | None = 30,
              kind: CallKind = CallKind.GRANT, criteria: list[dict[str, Any]] | None = None, **fields: Any) -> Call:
    """A call like Euroclusters (three criteria 0-5, threshold 3, overall 10) unless told otherwise."""
    criteria = criteria or [
        {"key": "relevance", "name": "Relevance"}, {"key": "quality", "name": "Quality"},
        {"key": "impact", "name": "Impact"},
    ]
    defaults: dict[str, Any] = dict(
        title=f"Call {code}", programme="Test programme", kind=kind, description="A call for tests.",
        opens_at=deadline - timedelta(days=60), deadline=deadline, budget=budget, max_awards=max_awards,
        max_grant_per_proposal=Decimal("1400000.00") if budget is not None else None, min_partners=1,
        min_countries=1, eligible_countries=[], page_limit=50, evaluators_per_proposal=3,
        strands=["Open", "Tourism", "Digital", "Health"], overall_threshold=Decimal(10),
        # The Euroclusters order of its criteria that the call has (a tie-break key must be a criterion).
        tie_break=[key for key in ("relevance", "impact", "quality") if key in {c["key"] for c in criteria}],
        coverage_field=None, reserve_size=5,
        # Published well before it opens, as every call was before calls had a life cycle; a draft says None.
        published_at=deadline - timedelta(days=90),
    )
    defaults.update(fields)
    call = Call(code=code, **defaults, criteria=[
        Criterion(key=c["key"], name=c["name"], description=c.get("description", ""),
                  max_score=Decimal(c.get("max", 5)), weight=Decimal(str(c.get("weight", 1))),
                  threshold=None if c.get("threshold", 3) is None else Decimal(str(c.get("threshold", 3))),
                  position=i)
        for i, c in enumerate(criteria, start=1)
    ])
    db.session.add(call)
    db.session.flush()
    return call


def make_proposal(call: Call, creator: User, *, acronym: str | None = None, strand: str | None = "Open",
                  requested: Decimal | None = Decimal("1000000.00"), partners: list[tuple[str, str]] | None = None,
                  submitted: bool = True, eligibility: Eligibility = Eligibility.PENDING) -> Proposal:
    """A proposal of `creator`'s organisation; partners are (name, country) after the coordinator."""
    number = (db.session.scalar(sa.select(sa.func.max(Proposal.number)).where(Proposal.call_id == call.id)) or 0) + 1
    organisation = creator.organisation or find_or_create_organisation("Applicant Org", "BE", OrganisationType.CLUSTER)
    proposal = Proposal(
        call=call, number=number, reference=f"{call.code}-{number:04d}", organisation=organisation,
        created_by=creator, acronym=acronym or f"PROP{number}", title=f"Proposal {number}",
        abstract="An abstract.", strand=strand, duration_months=36, requested_grant=requested,
        eligibility=eligibility,
    )
    members = [(organisation.name, organisation.country), *(partners or [("Partner A", "DE"), ("Partner B", "FR")])]
    share = (requested / len(members)).quantize(Decimal("0.01")) if requested is not None else None
    for position, (name, country) in enumerate(members):
        amount = share
        if requested is not None and share is not None and position == len(members) - 1:
            amount = requested - share * (len(members) - 1)
        proposal.partners.append(Partner(position=position, is_coordinator=position == 0, name=name, country=country,
                                         organisation_type=OrganisationType.CLUSTER, contact_email="",
                                         requested_amount=amount))
    db.session.add(proposal)
    db.session.flush()
    if submitted:
        proposal.status = ProposalStatus.SUBMITTED
        snapshot = json.dumps({"reference": proposal.reference, "acronym": proposal.acronym}, sort_keys=True)
        proposal.submissions.append(Submission(
            version=1, receipt_number=f"R-{proposal.reference}-1", snapshot=snapshot,
            sha256=hashlib.sha256(snapshot.encode()).hexdigest(), submitted_at=call.deadline - timedelta(hours=1),
            submitted_by_id=creator.id,
        ))
        db.session.flush()
    return proposal


def make_approved_consensus(proposal: Proposal, scores: dict[str, str | Decimal], *,
                            approver: User | None = None) -> ConsensusReport:
    """An approved consensus report with the given score per criterion key."""
    report = ConsensusReport(proposal=proposal, status=ReportStatus.APPROVED, overall_comment="Consensus reached.",
                             approved_at=proposal.call.deadline + timedelta(days=30),
                             approved_by_id=approver.id if approver else None)
    for criterion in proposal.call.criteria:
        report.scores.append(ConsensusScore(criterion=criterion, score=Decimal(str(scores[criterion.key])),
                                            comment=f"Consensus on {criterion.name.lower()}."))
    proposal.eligibility = Eligibility.ELIGIBLE
    db.session.add(report)
    db.session.flush()
    return report


def make_assignment(proposal: Proposal, evaluator: User, *, published: bool = True,
                    no_conflict: bool = True) -> Assignment:
    assignment = Assignment(
        call_id=proposal.call_id, proposal=proposal, evaluator=evaluator,
        state=AssignmentState.PUBLISHED if published else AssignmentState.PROPOSED,
        conflict=ConflictDeclaration.NO_CONFLICT if no_conflict else ConflictDeclaration.UNDECLARED,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def organisation(name: str, country: str) -> Organisation:
    return find_or_create_organisation(name, country, OrganisationType.CLUSTER)


# --- letters (selection runs finalised without the selection service) ----------------------------------------

FINALISED_AT = datetime(2022, 3, 15, 10, 30, tzinfo=UTC)
_DECISIONS = {"selected": "selected", "reserve": "reserve", "not_funded": "rejected", "below_threshold": "rejected",
              "ineligible": "ineligible"}
_REASONS = {
    "selected": "rank {rank}; fits: {left} left after it",
    "reserve": "rank {rank}; reserve position {position}: the budget is used by the proposals ranked above",
    "not_funded": "rank {rank}; not funded: the budget and the reserve list are full",
    "below_threshold": "below threshold: quality 2.5 < 3",
    "ineligible": "ineligible: excluded at the eligibility screening",
}


def make_finalised_run(call: Call, outcomes: list[tuple[Proposal, str]], *, number: int | None = None,
                       finalised_at: datetime = FINALISED_AT, parent: Any = None) -> Any:
    """A FINALISED SelectionRun whose output_json follows selection-rules.md, and the proposals' decisions.

    Its input is the call's rules and the proposals' scores, but its output is made up (the statuses asked for),
    written as runs were stored before the core reported each decision's step, budget left and reason code, and
    before its sums: re-running the input gives another output, so its readers read the stored one, and letters of
    such a run quote its reasons and claim none of their own. Tests of the reasons letters state run the real core
    (tests/queries/test_letter_context.py).

    `outcomes` are (proposal, status) in merit order; status is one of selected, reserve, not_funded,
    below_threshold, ineligible. Totals are the weighted sums of the approved consensus scores.
    """
    from app.enums import Decision, RunStatus
    from app.models import SelectionRun
    from app.queries.selection import SelectionOptions, rules_document

    weights = {c.id: c.weight for c in call.criteria}
    thresholds = {c.id: c.threshold for c in call.criteria}
    lines, selected, reserve, inputs = [], [], [], []
    keys = {c.id: c.key for c in call.criteria}
    rank = 0
    left = call.budget
    for proposal, status in outcomes:
        report = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id))
        total = None
        if report is not None and status not in ("below_threshold", "ineligible"):
            total = sum((s.score * weights[s.criterion_id] for s in report.scores), Decimal(0))
        line_rank = None
        if status in ("selected", "reserve", "not_funded"):
            rank += 1
            line_rank = rank
        if status == "selected":
            selected.append(proposal.reference)
            if left is not None and proposal.requested_grant is not None:
                left -= proposal.requested_grant
        if status == "reserve":
            reserve.append(proposal.reference)
        reason = _REASONS[status].format(rank=line_rank, left=f"{left:,.2f}" if left is not None else "-",
                                         position=len(reserve))
        inputs.append({
            "id": proposal.reference, "requested": f"{proposal.requested_grant or 0:.2f}",
            "eligible": status != "ineligible",
            "scores": {keys[s.criterion_id]: str(s.score) for s in report.scores} if report is not None else {},
        })
        missed = [(keys[s.criterion_id], s.score, thresholds[s.criterion_id])
                  for s in (report.scores if report is not None and status == "below_threshold" else [])
                  if thresholds[s.criterion_id] is not None and s.score < thresholds[s.criterion_id]]
        failed = [{"criterion": key, "score": str(score), "threshold": str(threshold)}
                  for key, score, threshold in missed]
        lines.append({"id": proposal.reference, "status": status, "rank": line_rank,
                      "total": f"{total:.2f}" if total is not None else None, "reason": reason,
                      "reserve_position": len(reserve) if status == "reserve" else None, "failed": failed})
        proposal.decision = Decision(_DECISIONS[status])
        proposal.reserve_position = len(reserve) if status == "reserve" else None
        proposal.decided_at = finalised_at
        if status == "ineligible":
            proposal.eligibility = Eligibility.INELIGIBLE
    output = {"selected": selected, "reserve": reserve,
              "remaining_budget": f"{left:.2f}" if left is not None else None, "ties": [], "proposals": lines}
    output_json = json.dumps(output, sort_keys=True, separators=(",", ":"))
    rules = rules_document(call, SelectionOptions.defaults(call))
    input_json = json.dumps({"rules": rules, "proposals": inputs}, sort_keys=True)
    if number is None:
        number = (db.session.scalar(sa.select(sa.func.max(SelectionRun.number))
                                    .where(SelectionRun.call_id == call.id)) or 0) + 1
    run = SelectionRun(
        call_id=call.id, number=number, status=RunStatus.FINALISED, options={}, input_json=input_json,
        output_json=output_json, input_sha256=hashlib.sha256(input_json.encode()).hexdigest(),
        output_sha256=hashlib.sha256(output_json.encode()).hexdigest(), created_at=finalised_at,
        finalised_at=finalised_at, parent_run_id=parent.id if parent is not None else None,
    )
    db.session.add(run)
    db.session.flush()
    return run


def pdf_bytes(pages: int = 1, *, encrypted: bool = False, min_size: int = 0, title: str | None = None) -> bytes:
    """A real PDF with `pages` blank A4 pages (pypdf), optionally encrypted or padded to at least `min_size`; a
    `title` makes its bytes differ from every other test's PDF of the same pages (the storage is shared per worker
    and addressed by content)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if title is not None:
        writer.add_metadata({"/Title": title})
    if min_size:
        # An embedded file of incompressible bytes pads the PDF without changing its pages.
        writer.add_attachment("padding.bin", hashlib.shake_256(b"eurogrants").digest(min_size))
    if encrypted:
        writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_open_call(code: str = "OPEN-CALL", *, days_left: float = 10, **fields: Any) -> Call:
    """A grant call open now (by the app's clock) whose deadline is `days_left` days ahead."""
    from app.clock import utcnow

    deadline = (utcnow() + timedelta(days=days_left)).replace(microsecond=0)
    fields.setdefault("opens_at", min(deadline - timedelta(days=60), utcnow() - timedelta(days=1)))
    return make_call(code, deadline=deadline, **fields)


# --- evaluation (pool, reports) ---------------------------------------------------------------------------------

def make_pool_member(call: Call, evaluator: User, *, expertise: list[str] | None = None, max_load: int = 10,
                     accepted: bool = True, organisation_name: str | None = None,
                     country: str | None = None) -> Any:
    """An evaluator in the call's pool (code of conduct accepted unless told otherwise)."""
    from app.models import PoolMember

    org = evaluator.organisation
    member = PoolMember(
        call_id=call.id, user_id=evaluator.id, expertise=expertise if expertise is not None else list(call.strands),
        max_load=max_load, organisation_name=organisation_name or (org.name if org else "Independent expert"),
        country=country or (org.country if org else "LU"),
        code_of_conduct_accepted_at=call.deadline + timedelta(days=1) if accepted else None,
    )
    db.session.add(member)
    db.session.flush()
    return member


def make_report(assignment: Assignment, scores: dict[str, str | Decimal], *, submitted: bool = True,
                comment: str = "A comment long enough to justify the score given here.") -> Any:
    """An individual evaluation report with the given score per criterion key."""
    from app.models import IndividualReport, IndividualScore

    call = db.session.get(Call, assignment.call_id)
    assert call is not None
    report = IndividualReport(assignment=assignment, status=ReportStatus.SUBMITTED if submitted else ReportStatus.DRAFT,
                              overall_comment="An overall comment that is long enough to count.",
                              submitted_at=call.deadline + timedelta(days=10) if submitted else None)
    for criterion in call.criteria:
        if criterion.key in scores:
            report.scores.append(IndividualScore(criterion_id=criterion.id, score=Decimal(str(scores[criterion.key])),
                                                 comment=comment))
    db.session.add(report)
    db.session.flush()
    return report


def make_staff(role: Any, email: str, *, organisation: str, country: str, name: str = "") -> User:
    """An account with one role (password: tests.conftest.PASSWORD)."""
    from app.services.accounts import create_user

    return create_user(None, email=email, password="correct-horse-battery", full_name=name or email.split("@")[0],
                       roles=[role], organisation_name=organisation, country=country)


@dataclass(frozen=True)
class EvaluationWorld:
    """What `make_evaluation_setup` made, as ids and e-mail addresses (usable after the session is gone)."""

    call_id: int
    code: str
    officer_id: int
    officer_email: str
    applicant_id: int
    applicant_email: str
    evaluator_ids: list[int]
    evaluator_emails: list[str]
    member_ids: list[int]  # the evaluators' pool members, in the same order
    proposal_ids: list[int]
    references: list[str]
    assignments: dict[tuple[int, int], int]  # (proposal id, evaluator id) → assignment id

    def assignment_id(self, proposal: int = 0, evaluator: int = 0) -> int:
        """The assignment of the `evaluator`-th evaluator to the `proposal`-th proposal (by position)."""
        return self.assignments[(self.proposal_ids[proposal], self.evaluator_ids[evaluator])]


def make_evaluation_setup(*, code: str = "EVAL-CALL", proposals: int = 2, evaluators: int = 3,
                          publish: bool = True, accepted: bool = True, declared: bool = True,
                          **call_fields: Any) -> EvaluationWorld:
    """A closed call ready for evaluation: an officer, an applicant, eligible submitted proposals (coordinator
    Baltic Cluster Alliance, LT, with partners in DE and FR), a pool of evaluators (Finland, Portugal, Romania …,
    none conflicted) and, with `publish`, k published assignments per proposal (the first evaluator rapporteur).

    Returns the ids and e-mail addresses of what it made; the caller commits.
    """
    from app.enums import Role

    call_fields.setdefault("evaluators_per_proposal", min(3, evaluators))
    call = make_call(code, **call_fields)
    call.evaluation_deadline = call.deadline + timedelta(days=30)
    officer = make_staff(Role.OFFICER, f"officer@{code.lower()}.test", organisation="European Commission",
                         country="BE", name="Olivia Officer")
    applicant = make_staff(Role.APPLICANT, f"applicant@{code.lower()}.test", organisation="Baltic Cluster Alliance",
                           country="LT", name="Lukas Applicant")
    countries = ["FI", "PT", "RO", "IE", "AT", "SI", "HR", "EE"]
    people = [make_staff(Role.EVALUATOR, f"evaluator{i + 1}@{code.lower()}.test",
                         organisation=f"Expert Office {i + 1}", country=countries[i % len(countries)],
                         name=f"Evaluator {i + 1}") for i in range(evaluators)]
    members = [make_pool_member(call, person, accepted=accepted) for person in people]
    made = [make_proposal(call, applicant, acronym=f"ACR{i + 1}", strand=call.strands[i % len(call.strands)]
                          if call.strands else None, eligibility=Eligibility.ELIGIBLE) for i in range(proposals)]
    for proposal in made:
        proposal.screened_at = call.deadline + timedelta(days=1)
        proposal.eligibility_reason = "All checks passed."
    assignments: dict[tuple[int, int], int] = {}
    if publish:
        k = call.evaluators_per_proposal
        for p_index, proposal in enumerate(made):
            for j in range(k):
                person = people[(p_index + j) % len(people)]
                assignment = make_assignment(proposal, person, no_conflict=declared)
                assignment.published_at = call.deadline + timedelta(days=2)
                assignment.is_rapporteur = j == 0
                assignments[(proposal.id, person.id)] = assignment.id
    db.session.flush()
    return EvaluationWorld(
        call_id=call.id, code=call.code, officer_id=officer.id, officer_email=officer.email,
        applicant_id=applicant.id, applicant_email=applicant.email,
        evaluator_ids=[p.id for p in people], evaluator_emails=[p.email for p in people],
        member_ids=[m.id for m in members], proposal_ids=[p.id for p in made],
        references=[p.reference for p in made], assignments=assignments,
    )


def make_ready_proposal(call: Call, creator: User, *, acronym: str = "READY", pages: int = 2,
                        partners: list[tuple[str, str]] | None = None,
                        requested: Decimal = Decimal("900000.00")) -> Proposal:
    """A draft that passes every check of a `make_call`/`make_open_call` call (three countries, Part B stored)."""
    from app.enums import DocumentKind
    from app.models import Document
    from app.storage import get_storage

    proposal = make_proposal(call, creator, acronym=acronym, requested=requested, submitted=False,
                             partners=partners or [("Partner A", "DE"), ("Partner B", "FR")])
    proposal.duration_months = call.duration_min_months or 24
    for partner in proposal.partners:
        partner.contact_email = f"contact{partner.position}@example.org"
    data = pdf_bytes(pages)
    key = get_storage().put_bytes(data)
    proposal.documents.append(Document(kind=DocumentKind.PART_B, sha256=key, filename="part-b.pdf",
                                       size_bytes=len(data), page_count=pages, uploaded_by_id=creator.id))
    db.session.flush()
    return proposal


def make_letter_scenario(applicant: User, *, code: str = "SMP-COSME-2021-CLUSTER-01") -> dict[str, Any]:
    """A grant call with one proposal per outcome (selected, reserve, not funded, below threshold, ineligible)
    and its finalised run. Returns {"call", "run", "proposals": {status: Proposal}}."""
    call = make_call(code)
    scores = {
        "selected": ("4.5", "4", "4"), "reserve": ("4", "4", "3.5"), "not_funded": ("3.5", "3.5", "3.5"),
        "below_threshold": ("3", "2.5", "3"), "ineligible": None,
    }
    proposals = {}
    for number, (status, values) in enumerate(scores.items(), start=1):
        proposal = make_proposal(call, applicant, acronym=f"EC{number}{status[:4].upper()}",
                                 requested=Decimal("1000000.00") + number * Decimal("10000.00"))
        proposal.partners[0].contact_email = f"coordinator{number}@example.test"
        if values is not None:
            make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), values, strict=True)))
        proposals[status] = proposal
    proposals["ineligible"].eligibility_reason = (
        "Fewer than 3 partners from 3 different eligible countries.\nThe coordinator is not a cluster organisation."
    )
    run = make_finalised_run(call, [(proposals[s], s) for s in scores])
    return {"call": call, "run": run, "proposals": proposals}


def _is_session_bookkeeping(statement: str) -> bool:
    return statement.lstrip().upper().startswith("UPDATE USER_SESSIONS SET LAST_SEEN_AT")


class QueryCounter:
    """Counts the SQL statements the app's engine runs inside a `with` block (selection's query-count tests)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def _count(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        sa.event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(db.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        """The page's own statements. A signed-in session's last-seen time is written at most once a minute
        (`app.services.sessions`), so whether one request pays for it depends on how long the test has run: left out,
        a count does not depend on the machine's speed."""
        return sum(1 for statement in self.statements if not _is_session_bookkeeping(statement))
