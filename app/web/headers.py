"""Security headers and the request id on every response."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request, session

REQUEST_ID_HEADER = "X-Request-Id"
# A proxy in front of us may have given the request an id already (nginx's $request_id, a load balancer's): keep
# it, so its log lines and ours match. Anything else (none, too long, characters that could forge a log line)
# gets a fresh id.
_FORWARDED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

# No inline script anywhere: scripts come from our own static folder. Inline style *attributes* are allowed
# (progress bars, chart sizes); style elements and sheets must come from us too.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-elem 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def request_id() -> str:
    """This request's id: answered in X-Request-Id and logged with any unexpected error, to match one to the other."""
    if "request_id" not in g:
        forwarded = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = forwarded if _FORWARDED_REQUEST_ID.fullmatch(forwarded) else uuid.uuid4().hex
    return str(g.request_id)


# Answers that are the same for everyone, whoever asks: they stay cacheable.
SHARED_ENDPOINTS = frozenset({"static", "public.favicon"})


def is_signed_in_request() -> bool:
    """Whether this response goes to someone signed in: a session that names a user, or a bearer token.

    Read from the session and the request, never by loading the user: the header must not cost a query. Any
    `Authorization` header counts, so that answers the API gives before it checks the token are covered too."""
    return "_user_id" in session or g.get("api_user") is not None or "Authorization" in request.headers


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _set_headers(response: Response) -> Response:
        headers = response.headers
        headers[REQUEST_ID_HEADER] = request_id()
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # What a signed-in user sees (pages, JSON, downloads) is theirs alone: no browser history, back button
        # or shared proxy may keep a copy.
        if request.endpoint not in SHARED_ENDPOINTS and is_signed_in_request():
            if "no-store" not in headers.get("Cache-Control", ""):
                headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"  # HTTP/1.0 caches
        if app.config.get("IS_PRODUCTION"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
