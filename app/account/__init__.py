"""Pages of every signed-in person about themselves: their personal data (see it, download it, correct it, erase it)."""

from flask import Blueprint

from app.enums import Role
from app.web.access import guard_blueprint

bp = Blueprint("account", __name__, url_prefix="/account")
guard_blueprint(bp, *Role)

from app.account import routes, security, tokens, two_factor  # noqa: E402, F401
