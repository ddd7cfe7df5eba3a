"""Pages anyone may see: the calls."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import language, routes, verify  # noqa: E402, F401
