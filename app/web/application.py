"""The Flask class of the app: each view runs in the request's one transaction (app.web.transaction), and an
unexpected error is logged with the request id its response carries (X-Request-Id)."""

from __future__ import annotations

from types import TracebackType

from flask import Flask, request
from flask.typing import ResponseReturnValue

from app.web.headers import request_id
from app.web.transaction import run_view


class EurograntsFlask(Flask):
    """Flask with one transaction per request, logging each unexpected error with its request id."""

    def log_exception(
        self, exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None]
    ) -> None:
        # Flask calls this for an error no handler took (one raised by an error handler itself);
        # render_unexpected_error calls it for every other. One log line shape for both.
        self.logger.error("Unexpected error on %s %s (request id %s)", request.method, request.path, request_id(),
                          exc_info=exc_info)

    def dispatch_request(self) -> ResponseReturnValue:
        """The view, committed when a write returns and rolled back when it raises (app.web.transaction)."""
        return run_view(super().dispatch_request)
