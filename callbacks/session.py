"""The browser session: a random id in a cookie, set with the first page, that names what belongs to one
browser (its uploads, its running jobs) on a server shared by a team."""

from __future__ import annotations

import re
import secrets

from dash import dcc
from flask import Flask, Response, g, has_request_context, request

from callbacks import ids

COOKIE = "projector_session"
_VALID = re.compile(r"^[0-9a-f]{32}$")


def current() -> str | None:
    """The session of the request being answered, or None (no cookie, or not one this server made)."""
    if not has_request_context():
        return None
    value = request.cookies.get(COOKIE, "")
    return value if _VALID.match(value) else getattr(g, "new_session", None)


def ensure() -> str:
    """The request's session, made now (and sent as a cookie with the response) when it has none."""
    session = current()
    if session is None:
        session = secrets.token_hex(16)
        if has_request_context():
            g.new_session = session
    return session


def layout() -> dcc.Store:
    """The session id in the page, for the background jobs (they run outside the request)."""
    return dcc.Store(id=ids.SESSION, data=ensure())


def install(server: Flask, path: str) -> None:
    """Send the cookie of a session made while answering a request."""

    @server.after_request
    def set_cookie(response: Response) -> Response:
        session = getattr(g, "new_session", None)
        if session and not _VALID.match(request.cookies.get(COOKIE, "")):
            response.set_cookie(COOKIE, session, path=path, httponly=True, samesite="Lax", secure=request.is_secure)
        return response
