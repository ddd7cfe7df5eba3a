"""Text that no column can hold is made storable at the door: NUL characters and lone UTF-16 surrogates.

PostgreSQL text cannot contain NUL, and a lone surrogate (JSON "\\ud800") cannot be encoded as UTF-8 at all:
left to the database driver either one is a 500. Neither is ever meaningful text, and the OpenAPI contract
accepts any string, so instead of refusing the request they are cleaned before any view sees the values:
NUL characters are dropped, lone surrogates become U+FFFD (the replacement character). Path, query, form and
JSON body alike; a body that is not JSON at all is left to the view (webargs answers 400/422).

A JSON body nested deeper than MAX_JSON_DEPTH (default 32; no request of the API needs more than 4) is refused
with 400 in the error shape before any view or log-in check runs: thousands of `[` would otherwise exhaust
Python's recursion limit in the parser or in any code that walks the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, current_app, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean_text(text: str) -> str:
    return _UNSTORABLE.sub(lambda match: "" if match.group() == "\x00" else "\ufffd", text)


def clean(value: Any) -> Any:
    """`value` (JSON-like) with every string made storable."""
    if isinstance(value, str):
        return _clean_text(value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


class TooDeeplyNested(BadRequest):
    """400 in the error shape: the JSON body is nested deeper than the app reads."""

    def __init__(self, limit: int) -> None:
        message = f"The JSON body is nested more than {limit} levels deep; no request of this application needs that."
        super().__init__(message)
        self.data = {"error_code": "json_too_deep", "message": message, "details": {"max_depth": limit}}


def nesting_exceeds(document: Any, limit: int) -> bool:
    """True if `document` has arrays or objects nested more than `limit` levels deep; walked without recursion,
    and stopping at the first level too deep."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth + 1 > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return False


def _json_body() -> Any:
    """The request's JSON document (None when it is not JSON); TooDeeplyNested when it is nested too deep."""
    limit: int = current_app.config["MAX_JSON_DEPTH"]
    try:
        document = request.get_json(silent=True)
    except RecursionError:  # the parser itself gave up: far deeper than any limit
        raise TooDeeplyNested(limit) from None
    if nesting_exceeds(document, limit):
        raise TooDeeplyNested(limit)
    return document


def _dirty(pairs: Any) -> bool:
    return any(_UNSTORABLE.search(key) or (isinstance(item, str) and _UNSTORABLE.search(item))
               for key, item in pairs)


def clean_request_text() -> None:
    if request.view_args:
        for key, item in list(request.view_args.items()):
            request.view_args[key] = clean(item)
    if _dirty(request.args.items(multi=True)):
        request.args = ImmutableMultiDict([(clean(k), clean(v)) for k, v in request.args.items(multi=True)])
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.is_json:
        document = _json_body()
        cleaned = clean(document)
        if cleaned != document:
            # What webargs (request data) and Flask (get_json) read from now on.
            request._cached_data = json.dumps(cleaned).encode()
            request._cached_json = (cleaned, cleaned)
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and _dirty(
            request.form.items(multi=True)):
        request.form = ImmutableMultiDict([(clean(k), clean(v)) for k, v in request.form.items(multi=True)])


def register_input_guard(app: Flask) -> None:
    app.before_request(clean_request_text)
