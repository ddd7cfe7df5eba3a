"""The models, one module per aggregate."""

from app.models.assessment import Assessment
from app.models.audit import AuditEvent, AuditIsAppendOnly
from app.models.call import Call, Criterion
from app.models.evaluation import (
    CURRENT_CONSENSUS,
    Assignment,
    ConsensusReport,
    ConsensusScore,
    IndividualReport,
    IndividualScore,
    PoolMember,
)
from app.models.job import Job
from app.models.letter import LetterBatch, OutboxMessage
from app.models.membership import Invitation, JoinRequest
from app.models.privacy import Consent, Correction, EmailChange, Erasure, PersonalDataAccess
from app.models.proposal import Document, Partner, Proposal, Submission
from app.models.redress import RedressRequest
from app.models.selection import Letter, SelectionRun, TieResolution
from app.models.session import UserSession
from app.models.user import (
    ApiToken,
    AttemptCounter,
    LoginAttempt,
    Organisation,
    RecoveryCode,
    User,
    UserRole,
)

__all__ = [
    "CURRENT_CONSENSUS", "ApiToken", "Assessment", "Assignment", "AttemptCounter", "AuditEvent", "AuditIsAppendOnly",
    "Call",
    "ConsensusReport",
    "ConsensusScore", "Consent", "Correction", "Criterion", "Document", "EmailChange", "Erasure", "LoginAttempt",
    "IndividualReport",
    "IndividualScore", "Invitation", "Job", "JoinRequest",
    "Letter", "LetterBatch",
    "Organisation", "OutboxMessage", "Partner", "PersonalDataAccess",
    "PoolMember", "Proposal", "RecoveryCode", "RedressRequest", "SelectionRun", "Submission", "TieResolution", "User",
    "UserRole",
    "UserSession",
]
