"""Pages for applicant consortia."""

from flask import Blueprint

from app.enums import Role
from app.web.access import guard_blueprint

bp = Blueprint("applicant", __name__, url_prefix="/applicant")
guard_blueprint(bp, Role.APPLICANT)

from app.applicant import letters, organisation, proposals, redress, routes, transfer  # noqa: E402, F401
