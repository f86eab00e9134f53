"""Images as points (2D): while few enough points are in view, each is drawn as its sprite thumbnail.

The browser (``assets/images.js``) finds the points in view after every zoom, pan or redraw and posts their
rows and pixel positions to ``ROUTE``; the server answers one transparent PNG of their thumbnails, which the
browser lays over the axes as a Plotly layout image (it follows zoom and pan with the points).

The route trusts no client: its body is parsed strictly (:func:`projector.thumbnails.parse_request`) and at
most MAX_RENDERS layers are drawn at once per process, others answered 503 at once rather than queued, so a
burst of requests cannot hold a canvas for every server thread.
"""

from __future__ import annotations

import logging
import threading

from dash import ClientsideFunction, Input, Output
from flask import Response, request

from callbacks import ids
from callbacks.common import answers
from projector.errors import InputError, ProjectorError
from projector.scatter import view_token
from projector.thumbnails import MAX_IMAGES, MAX_REQUEST_BYTES, layer_png, parse_request
from projector.view import View
from projector.workspace import Workspace

log = logging.getLogger(__name__)

ROUTE = "_projector/image-layer"
MAX_RENDERS = 2  # layers drawn at once per process: each holds a canvas of up to 38 MB
BUSY = "The server is busy drawing images for others; try again in a moment."


def register(app, workspace: Workspace) -> None:
    @answers(
        app,
        {"info": Output(ids.IMAGES_INFO, "data"), "hidden": Output(ids.IMAGES_ROW, "hidden")},
        slot=None,
        inputs={"view_json": Input(ids.VIEW_STORE, "data")},
        prevent_initial_call=True,
    )
    def info(view_json):
        """What the browser needs to ask for the image layer of the view on screen."""
        view = View.from_json(view_json)
        if view is None:
            return {"info": None, "hidden": True}
        try:
            sprite = workspace.view_data(view).sprite is not None
        except ProjectorError:
            return {"info": None, "hidden": True}  # the data panel reports a tensor that cannot be opened
        info = {
            "tensor": view.tensor,
            "view": view_token(view),
            "indices": list(view.indices) if view.indices is not None else None,
            "sprite": sprite,
            "limit": MAX_IMAGES,
        }
        return {"info": info, "hidden": not sprite}

    app.clientside_callback(
        ClientsideFunction("images", "configure"),
        Output(ids.IMAGES_SHOWN, "data"),
        Input(ids.IMAGES_INFO, "data"),
        Input(ids.IMAGES_TOGGLE, "value"),
    )

    renders = threading.BoundedSemaphore(MAX_RENDERS)

    @app.server.route(app.config.routes_pathname_prefix + ROUTE, methods=["POST"])
    def image_layer() -> Response:
        raw = _body()
        if raw is None:
            return _text(f"The image layer request is larger than {MAX_REQUEST_BYTES:,} bytes.", 413)
        try:
            ask = parse_request(raw)
            data = workspace.dataset(ask.tensor)
            if data.sprite is None:
                raise InputError("This tensor has no images (no sprite in its projector config).")
        except ProjectorError as error:
            return _text(str(error), 400)
        if not renders.acquire(blocking=False):
            return _text(BUSY, 503, {"Retry-After": "1"})
        try:
            png = layer_png(data.sprite, ask.rows, ask.pixels, ask.width, ask.height, ask.size, ask.lit)
        except ProjectorError as error:
            return _text(str(error), 400)
        finally:
            renders.release()
        return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


def _body() -> bytes | None:
    """The request's body, or None past MAX_REQUEST_BYTES (read no further than that)."""
    if (request.content_length or 0) > MAX_REQUEST_BYTES:
        return None
    raw = request.stream.read(MAX_REQUEST_BYTES + 1)
    return None if len(raw) > MAX_REQUEST_BYTES else raw


def _text(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        message, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store", **(headers or {})}
    )
