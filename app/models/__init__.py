"""The models, one module per aggregate."""

from app.models.audit import AuditEvent, AuditIsAppendOnly
from app.models.call import Call, Criterion
from app.models.user import ApiToken, Organisation, User, UserRole

__all__ = ["ApiToken", "AuditEvent", "AuditIsAppendOnly", "Call", "Criterion", "Organisation", "User", "UserRole"]
