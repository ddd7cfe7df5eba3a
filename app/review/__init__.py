"""Pages for independent evaluators."""

from flask import Blueprint

from app.enums import Role
from app.web.access import guard_blueprint

bp = Blueprint("review", __name__, url_prefix="/review")
guard_blueprint(bp, Role.EVALUATOR)

from app.review import routes  # noqa: E402, F401
