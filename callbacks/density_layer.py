"""The density layer: a shaded density of the drawn 2D layout, computed on the server
(:func:`projector.density.density_image`) and laid under the points by ``assets/density.js``."""

from __future__ import annotations

import numpy as np
from dash import ClientsideFunction, Input, Output, State

from callbacks import ids
from callbacks.common import answers
from projector.density import density_image
from projector.projection import project
from projector.view import View
from projector.workspace import Workspace

PIXELS = 384  # the longer side of the image: sharper than the plot needs at its usual size, yet a small PNG


def probe(coords: np.ndarray) -> list[list[float]]:
    """Three points' coordinates (first, middle, last): the browser shows the image only while the plot holds
    these very points there, so a streamed t-SNE frame or a step move hides it until its own arrives."""
    n = coords.shape[0]
    return [[float(v) for v in coords[i, :2].astype(np.float32)] for i in sorted({0, n // 2, n - 1})]


def register(app, workspace: Workspace) -> None:
    @answers(
        app,
        {"density": Output(ids.DENSITY_STORE, "data")},
        inputs={
            "toggle": Input(ids.DENSITY_TOGGLE, "value"),
            "drawn": Input(ids.DENSITY_DRAWN, "data"),
            "theme": Input(ids.THEME_STORE, "data"),
            "view": State(ids.VIEW_STORE, "data"),
            "spherize": State(ids.SPHERIZE, "value"),
        },
        prevent_initial_call=True,
    )
    def density(toggle, drawn, theme, view, spherize):
        """The density image of the drawn projection, when asked for and the plot is 2D; else none."""
        view = View.from_json(view)
        if not toggle or view is None or not drawn or drawn.get("dimension") != 2 or drawn.get("view") != view.token:
            return {"density": None}
        data = workspace.view_data(view)
        coords = project(workspace, data, view.subset, bool(spherize), drawn).coords
        image = density_image(coords, pixels=PIXELS, dark=theme == "dark")
        return {"density": {"view": view.token, "probe": probe(coords), "image": image.layout_image()}}

    app.clientside_callback(  # the drawn projection reaches density() only while the density is asked for
        ClientsideFunction("projector", "whileUsed"),
        Output(ids.DENSITY_DRAWN, "data"),
        Input(ids.PROJECTION_STORE, "data"),
        Input(ids.DENSITY_TOGGLE, "value"),
    )
    app.clientside_callback(
        ClientsideFunction("density", "show"),
        Output(ids.DENSITY_SHOWN, "data"),
        Input(ids.DENSITY_STORE, "data"),
    )
