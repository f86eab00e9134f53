"""The browser session: a random id, signed by the server, in a cookie set with the first page. It names what
belongs to one browser (its uploads, its running jobs) on a server shared by a team, so only a cookie this
server signed counts: an id planted in a browser or made up is ignored, and a new session issued instead.

The session is the whole signed cookie value; the page itself holds only a digest of it (:func:`layout`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from dash import dcc
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request
from itsdangerous import BadSignature, Signer

from callbacks import ids

log = logging.getLogger("projector")

COOKIE = "projector_session"
SECRET_FILE = "secret-key"  # in the cache directory: every process of the app, and every restart, signs alike
PRIVATE_ROUTES = ("/_dash-layout", "/_dash-update-component")  # answers made for one session: never cached
_ID = re.compile(r"^[0-9a-f]{32}$")
_background_secret: str | bytes = secrets.token_hex(32)  # the installed app's, for jobs outside any request


def _signer() -> Signer:
    secret = current_app.secret_key if has_app_context() else None
    return Signer(secret or _background_secret, salt="projector-session", digest_method=hashlib.sha256)


def verified(value: str | None) -> str | None:
    """``value`` when it is a session cookie this server signed, else None."""
    if not value:
        return None
    try:
        inner = _signer().unsign(value).decode("ascii")
    except (BadSignature, UnicodeError):
        return None
    return value if _ID.match(inner) else None


def of_cookies(cookies: Mapping[str, str]) -> str | None:
    """The session named by a request's ``cookies`` (a background job's ``ctx.cookies``), or None."""
    return verified(cookies.get(COOKIE))


def current() -> str | None:
    """The session of the request being answered, or None (no cookie this server signed, or no request)."""
    if not has_request_context():
        return None
    sent = (verified(value) for value in request.cookies.getlist(COOKIE))  # one may be planted for a parent domain
    return next((value for value in sent if value), None) or getattr(g, "new_session", None)


def ensure() -> str:
    """The request's session, made now (and sent as a cookie with the response) when it has none."""
    session = current()
    if session is None:
        session = _signer().sign(secrets.token_hex(16)).decode("ascii")
        if has_request_context():
            g.new_session = session
    return session


def page_id(session: str) -> str:
    """What the page holds for its session: a digest, so that the layout JSON never carries the cookie."""
    return hashlib.blake2b(session.encode("utf-8"), digest_size=16, person=b"projector-page").hexdigest()


def layout() -> dcc.Store:
    """The session's page id in the page, for the background jobs (one job of a kind per session)."""
    return dcc.Store(id=ids.SESSION, data=page_id(ensure()))


def install(server: Flask, path: str, cache_root: str | Path | None = None) -> None:
    """Sign sessions with the secret kept in ``cache_root`` (made there when missing), send the cookie of a
    session made while answering a request, and keep layout and callback answers out of every cache."""
    global _background_secret
    if cache_root is not None:
        server.secret_key = load_secret(Path(cache_root) / SECRET_FILE)
    elif not server.secret_key:
        server.secret_key = secrets.token_hex(32)
    _background_secret = server.secret_key

    @server.after_request
    def finish(response: Response) -> Response:
        session = getattr(g, "new_session", None)
        if session:
            response.set_cookie(COOKIE, session, path=path, httponly=True, samesite="Lax", secure=request.is_secure)
        if session or request.path.endswith(PRIVATE_ROUTES):
            response.headers["Cache-Control"] = "no-store"
        return response


def load_secret(path: Path) -> str:
    """The signing secret kept in ``path``; made (mode 0600) when missing, so that processes starting together
    agree on it: each writes a candidate, and the first to link it in place wins. A directory that cannot be
    written gives a secret for this process only, with a warning."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    candidate = path.with_name(f".{path.name}-{secrets.token_hex(8)}")
    try:
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process was first: its secret is the one
        finally:
            candidate.unlink()
        return _read_secret(path)
    except OSError as error:
        log.warning(
            "Cannot keep the session secret in %s (%s): sessions end when this process does, and other processes "
            "of the app do not accept them.",
            path,
            error.strerror or error,
        )
        return secrets.token_hex(32)


def _read_secret(path: Path) -> str:
    secret = path.read_text(encoding="ascii", errors="replace").strip()
    if len(secret) < 32:
        raise SystemExit(f"{path} holds no usable session secret: delete it (every browser gets a new session).")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s is open to other users (mode %o): they can forge sessions. Run chmod 600 %s.", path, mode, path)
    return secret
