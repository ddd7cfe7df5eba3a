"""Text that no column can hold is made storable at the door: NUL characters and lone UTF-16 surrogates.

PostgreSQL text cannot contain NUL, and a lone surrogate (JSON "\\ud800") cannot be encoded as UTF-8 at all:
left to the database driver either one is a 500. Neither is ever meaningful text, and the OpenAPI contract
accepts any string, so instead of refusing the request they are cleaned before any view sees the values:
NUL characters are dropped, lone surrogates become U+FFFD (the replacement character). Path, query, form and
JSON body alike; a body that is not JSON at all is left to the view (webargs answers 400/422).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict

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
        document = request.get_json(silent=True)
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
