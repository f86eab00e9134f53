"""The view in the URL: ``?run=…&tensor=…&projection=…&step=…&compare=…`` reopens the same run, tensor,
projection, training step and second embedding."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output, State, dcc

from callbacks import ids
from callbacks.common import answers, read_query

PROJECTIONS = ("pca", "tsne", "umap", "custom")


def layout() -> dcc.Location:
    return dcc.Location(id=ids.URL, refresh=False)


def write_query(
    run: str | None, tensor: str | None, projection: str | None, step: int | None = None, compare: str | None = None
) -> str:
    shown = (("run", run), ("tensor", tensor), ("projection", projection), ("step", step), ("compare", compare))
    params = {k: v for k, v in shown if v is not None and v != ""}
    return "?" + urlencode(params) if params else ""


def register(app) -> None:
    @answers(
        app,
        {"tab": Output(ids.PROJECTION_TABS, "value", allow_duplicate=True)},
        slot=None,
        inputs={"_path": Input(ids.URL, "pathname"), "search": State(ids.URL, "search")},
        prevent_initial_call="initial_duplicate",
    )
    def open_projection(_path, search):
        projection = read_query(search).get("projection")
        return {"tab": projection} if projection in PROJECTIONS else {}

    @answers(
        app,
        {"search": Output(ids.URL, "search")},
        slot=None,
        inputs={
            "run": Input(ids.RUN_SELECT, "value"),
            "tensor": Input(ids.TENSOR_SELECT, "value"),
            "projection": Input(ids.PROJECTION_TABS, "value"),
            "step": Input(ids.STEP_SLIDER, "value"),
            "compare": Input(ids.COMPARE_TENSOR, "value"),
        },
        prevent_initial_call=True,
    )
    def remember(run, tensor, projection, step, compare):
        if run is None or tensor is None:
            return {}
        return {"search": write_query(run, tensor, projection, step, compare)}
