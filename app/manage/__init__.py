"""Pages for programme officers and administrators, one routes module per stage of a call."""

from flask import Blueprint

from app.enums import Role
from app.web.access import guard_blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")
guard_blueprint(bp, Role.OFFICER, Role.ADMIN)

from app.manage import (  # noqa: E402, F401
    accounts,  # the administrators' account pages
    assessment,  # calls for expression of interest: the officer's assessment
    assignments,  # the evaluator pool and the assignments
    call_texts,  # a call's own texts in French and German
    calls,  # opening, configuring, publishing and archiving calls
    evaluation,  # noqa: E402, F401
    intake,
    letters,
    personal_data,
    redress,  # evaluation review requests: the queue, the committee's decision
    routes,
    selection,
    tokens,  # administrators: an account's API tokens
)
