"""One error shape for the API and finished-looking error pages for people."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from app.languages import N_
from app.services.errors import DomainError
from app.translation import gettext
from app.web.headers import request_id

API_PREFIX = "/api/"

# Machine-readable codes for the HTTP statuses the API answers with.
STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_input",
    429: "too_many_requests", 500: "internal_error",
}


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "A stable machine-readable code."})
    message = fields.String(required=True, metadata={"description": "A sentence for people."})
    details = fields.Dict(required=True, metadata={"description": "Field errors or other particulars."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, code: str | None = None, message: str | None = None,
              details: dict[str, Any] | None = None) -> tuple[Response, int]:
    # The message in the request's language (Accept-Language) when it is a catalogue message; the code stays English.
    body = {"error": {"code": code or STATUS_CODES.get(status, "error"),
                      "message": gettext(message or N_("The request failed.")), "details": details or {}}}
    return jsonify(body), status


def _http_exception_details(error: HTTPException) -> dict[str, Any]:
    # flask-smorest/webargs put validation messages into `data`.
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    details: dict[str, Any] = {}
    if messages:
        # webargs nests by location ("json", "query", "files"); the location rarely helps a client.
        if isinstance(messages, dict) and len(messages) == 1:
            (only,) = messages.values()
            details["fields"] = only
        else:
            details["fields"] = messages
    extra = data.get("details") if isinstance(data, dict) else None
    if isinstance(extra, dict):
        details.update(extra)
    return details


def render_http_exception(error: HTTPException) -> Any:
    status = error.code or 500
    if is_api_request():
        data = getattr(error, "data", None) or {}
        code = data.get("error_code") if isinstance(data, dict) else None
        message = data.get("message") if isinstance(data, dict) and data.get("message") else error.description
        if message == type(error).description:  # Werkzeug's English sentence for developers: ours instead
            message = _API_SENTENCES.get(status, _STATUS_SENTENCES.get(status, message))
        response, status = api_error(status, code, message, _http_exception_details(error))
        if status == 405 and error.get_headers():
            for name, value in error.get_headers():
                if name.lower() == "allow":
                    response.headers["Allow"] = value
        return response, status
    return render_template("errors/error.html", error=error, message=_page_message(error), status=status), status


# Werkzeug's own descriptions are English sentences for developers; a page says these instead.
_STATUS_SENTENCES = {
    400: N_("The request could not be understood. Go back and try again."),
    403: N_("You may not see this page or do this."),
    404: N_("There is nothing at this address. Check it, or start again from the calls."),
    405: N_("This page cannot be used this way. Go back and try again."),
    410: N_("This page is gone: what it showed no longer exists."),
    413: N_("What you sent is too large."),
    429: N_("Too many requests in a short time. Wait a moment, then try again."),
}


# What the API says instead of Werkzeug's description where a page's sentence would not fit a program's reader.
_API_SENTENCES = {
    403: N_("You may not do this."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not take this method."),
    422: N_("Some fields cannot be accepted: see details.fields."),
}


def _page_message(error: HTTPException) -> str:
    """What a person reads on an error page, in their language: our sentence for the status when the error carries
    Werkzeug's default description, else the description given (translated where it is a catalogue message)."""
    status = error.code or 500
    if error.description == type(error).description and status in _STATUS_SENTENCES:
        return gettext(_STATUS_SENTENCES[status])
    description = str(error.description or status)
    return gettext(description)


def reader_message(error: DomainError) -> str:
    """A service's refusal in the reader's language (the request's): its catalogue message, values filled in (a
    value that can be said in the reader's language, with a `said` property, is said so)."""
    return gettext(error.template, **{name: getattr(value, "said", value) for name, value in error.params.items()})


def render_domain_error(error: DomainError) -> Any:
    if is_api_request():
        return api_error(error.status, error.code, reader_message(error), error.details)
    return (render_template("errors/error.html", error=error, message=reader_message(error), status=error.status),
            error.status)


def render_unexpected_error(error: Exception) -> Any:
    """A bug: logged with its traceback and the request id, answered with a 500 that quotes the id."""
    if isinstance(error, HTTPException):
        return render_http_exception(error)
    traceback = error.__traceback__  # an error that was raised has one
    current_app.log_exception((type(error), error, traceback) if traceback else (None, None, None))
    message = ("Something went wrong on our side. It has been logged; quote the request id "
               f"{request_id()} if you report it.")
    if is_api_request():
        return api_error(500, message=message, details={"request_id": request_id()})
    return render_template("errors/error.html", error=InternalServerError(message), status=500), 500


class EurograntsApi(Api):  # type: ignore[misc]  # flask-smorest ships no types
    """flask-smorest with our error shape, documented in the OpenAPI document."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # Error handlers are registered app-wide by `register_error_handlers`, for pages and API alike.
        pass


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_http_exception)
    app.register_error_handler(DomainError, render_domain_error)
    if not app.testing:
        app.register_error_handler(Exception, render_unexpected_error)
