"""The evaluator's dashboard: invitations to accept, the assigned proposals they may see with what is left to do,
and how many were taken off their list by a conflict of interest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.enums import ReportStatus
from app.models import Assignment, Call, PoolMember, User
from app.queries.consensus import ReportsIn, consensus_statuses, reports_in
from app.queries.evaluation import Access, own_report_submitted, published_assignments
from app.queries.pool import memberships_of
from app.queries.submitted import SubmittedVersion
from app.translation import gettext, pgettext


@dataclass(frozen=True)
class WorklistRow:
    """One line of the evaluator's dashboard: an assigned proposal they may see, what is left to do, whether late."""

    assignment: Assignment
    version: SubmittedVersion
    access: Access
    call: Call
    status: str
    overdue: bool


@dataclass(frozen=True)
class Worklist:
    """The evaluator's dashboard: their pools, the proposals they may see, and how many they may no longer see."""

    members: list[PoolMember]
    rows: list[WorklistRow]
    hidden: int  # published assignments hidden by a conflict of interest (in calls whose code they accepted)

    @property
    def pending(self) -> list[PoolMember]:
        """Invitations whose code of conduct is not accepted yet."""
        return [m for m in self.members if m.code_of_conduct_accepted_at is None]


def _worklist_status(assignment: Assignment, access: Access, consensus: ReportStatus | None,
                     reports: ReportsIn | None) -> str:
    # In the language being spoken: the dashboard's reader's (English outside a request).
    if access is Access.SUMMARY:
        return gettext("Declare conflicts")
    report = assignment.report
    if report is None or report.status is ReportStatus.DRAFT:
        return gettext("Draft") if report is not None else gettext("To evaluate")
    if assignment.is_rapporteur and consensus in (None, ReportStatus.DRAFT):
        # The consensus opens only when every report is in; until then the rapporteur is told how many are.
        if reports is not None and not reports.ready:
            return gettext("Submitted · %(submitted)d of %(expected)d reports in", submitted=reports.submitted,
                           expected=reports.expected)
        return gettext("Submitted · consensus to draft")
    if consensus is ReportStatus.APPROVED:
        return gettext("Consensus approved")
    if consensus is ReportStatus.SUBMITTED:
        return gettext("Consensus submitted")
    return pgettext("report", "Submitted")


def worklist(user: User, now: datetime) -> Worklist:
    """The evaluator's dashboard, in a fixed number of queries whatever the number of assignments."""
    members = memberships_of(user)
    entries = published_assignments(user, {m.call_id: m for m in members})
    consensus = consensus_statuses(e.assignment.proposal_id for e in entries)
    reports = reports_in(e.assignment.proposal_id for e in entries)
    rows, hidden = [], 0
    for entry in entries:
        assignment, member, access = entry.assignment, entry.member, entry.access
        proposal = assignment.proposal
        if access is Access.NONE:
            hidden += member is not None and member.code_of_conduct_accepted_at is not None
            continue
        deadline = proposal.call.evaluation_deadline
        rows.append(WorklistRow(assignment, entry.version, access, proposal.call,
                                _worklist_status(assignment, access, consensus.get(proposal.id),
                                                 reports.get(proposal.id)),
                                bool(deadline and now > deadline and not own_report_submitted(assignment))))
    return Worklist(members, rows, hidden)
