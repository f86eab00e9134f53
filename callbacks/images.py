"""Images as points (2D): while few enough points are in view, each is drawn as its sprite thumbnail.

The browser (``assets/images.js``) finds the points in view after every zoom, pan or redraw and posts their
rows and pixel positions to ``ROUTE``; the server answers one transparent PNG of their thumbnails, which the
browser lays over the axes as a Plotly layout image (it follows zoom and pan with the points).
"""

from __future__ import annotations

import logging

from dash import ClientsideFunction, Input, Output
from flask import Response, request

from callbacks import ids
from projector.errors import ProjectorError
from projector.scatter import view_token
from projector.thumbnails import MAX_IMAGES, layer_png
from projector.view import View
from projector.workspace import Workspace

log = logging.getLogger(__name__)

ROUTE = "_projector/image-layer"


def register(app, workspace: Workspace) -> None:
    @app.callback(
        Output(ids.IMAGES_INFO, "data"),
        Output(ids.IMAGES_ROW, "hidden"),
        Input(ids.VIEW_STORE, "data"),
        prevent_initial_call=True,
    )
    def info(view_json):
        """What the browser needs to ask for the image layer of the view on screen."""
        view = View.from_json(view_json)
        if view is None:
            return None, True
        try:
            sprite = workspace.dataset(view.tensor).sprite is not None
        except ProjectorError:
            return None, True  # the data panel reports a tensor that cannot be opened
        info = {
            "tensor": view.tensor,
            "view": view_token(view),
            "indices": list(view.indices) if view.indices is not None else None,
            "sprite": sprite,
            "limit": MAX_IMAGES,
        }
        return info, not sprite

    app.clientside_callback(
        ClientsideFunction("images", "configure"),
        Output(ids.IMAGES_SHOWN, "data"),
        Input(ids.IMAGES_INFO, "data"),
        Input(ids.IMAGES_TOGGLE, "value"),
    )

    @app.server.route(app.config.routes_pathname_prefix + ROUTE, methods=["POST"])
    def image_layer() -> Response:
        body = request.get_json(silent=True)
        try:
            if not isinstance(body, dict):
                raise ProjectorError("The image layer request is not JSON.")
            data = workspace.dataset(str(body.get("tensor", "")))
            if data.sprite is None:
                raise ProjectorError("This tensor has no images (no sprite in its projector config).")
            png = layer_png(
                data.sprite,
                body.get("rows") or [],
                body.get("pixels") or [],
                int(body.get("width", 0)),
                int(body.get("height", 0)),
                int(body.get("size", 24)),
                body.get("lit"),
            )
        except (ProjectorError, TypeError, ValueError) as error:
            return Response(str(error), status=400, mimetype="text/plain")
        return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
