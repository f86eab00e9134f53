"""How ``python app.py`` serves: waitress for a team, Werkzeug's development server only for ``--debug`` on loopback."""

from __future__ import annotations

import ipaddress
import logging

from flask import Flask, Response
from werkzeug.exceptions import RequestEntityTooLarge

from projector.uploads import DEFAULT_MAX_REQUEST_MB, MB, format_mb
from projector.uploads import DEFAULT_UPLOAD_QUOTA_MB as DEFAULT_UPLOAD_QUOTA_MB  # re-exported for app.py's
from projector.uploads import DEFAULT_UPLOADS_TOTAL_MB as DEFAULT_UPLOADS_TOTAL_MB  # flags, as DEFAULT_MAX_REQUEST_MB

log = logging.getLogger("projector")

DEFAULT_THREADS = 8
PROXY_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (``127.0.0.1``, ``::1``, ``localhost``)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_debug_host(host: str) -> None:
    """Refuse ``--debug`` on an interface other machines reach: its debugger runs code for anyone."""
    if not is_loopback(host):
        raise SystemExit(
            f"--debug serves with Werkzeug's development server, whose in-browser debugger runs code for anyone "
            f"who can reach it, so it is refused on --host {host}. Use --debug with --host 127.0.0.1, or leave "
            "--debug out to serve a team with waitress."
        )


def max_request_bytes(max_request_mb: float) -> int:
    return int(max_request_mb * MB)


def limit_requests(server: Flask, max_bytes: int) -> None:
    """Refuse (413) a request body bigger than ``max_bytes`` under any WSGI server, with a message saying so."""
    server.config["MAX_CONTENT_LENGTH"] = max_bytes

    @server.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        text = (
            f"Request too large: this server takes requests up to {format_mb(max_bytes)} "
            "(its --max-request-mb). Put big files in the logdir instead.\n"
        )
        return Response(text, status=413, mimetype="text/plain")


def waitress_options(host: str, port: int, threads: int, max_bytes: int, trusted_proxy: str | None) -> dict:
    """Keyword arguments for ``waitress.serve``.

    Waitress refuses a body over ``max_bytes`` from its Content-Length, before reading it. With
    ``trusted_proxy`` (the reverse proxy's address, or ``*``), its X-Forwarded-For/Host/Proto/Port headers
    are believed; from anyone else they are dropped. The URL prefix is the app's own routes, so the proxy
    passes paths through unchanged.
    """
    options = {
        "host": host,
        "port": port,
        "threads": threads,
        "max_request_body_size": max_bytes + 1,  # waitress refuses a Content-Length >= this
    }
    if trusted_proxy:
        options.update(trusted_proxy=trusted_proxy, trusted_proxy_headers=set(PROXY_HEADERS))
    return options


def serve(
    dash_app,
    *,
    host: str,
    port: int,
    threads: int = DEFAULT_THREADS,
    max_bytes: int = DEFAULT_MAX_REQUEST_MB * MB,
    trusted_proxy: str | None = None,
    debug: bool = False,
) -> None:
    """Serve ``dash_app`` until interrupted: waitress, or Werkzeug's development server with ``debug``."""
    if debug:
        check_debug_host(host)
        log.warning("--debug: serving with Werkzeug's development server (not for a team)")
        dash_app.run(host=host, port=port, debug=True)
        return
    import waitress

    waitress.serve(dash_app.server, **waitress_options(host, port, threads, max_bytes, trusted_proxy))
