"""The scatter plot: a full figure when the projection changes, a browser-side restyle when only styling does."""

from __future__ import annotations

import numpy as np
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update

from callbacks import ids
from callbacks.common import answers, list_entry
from projector import scatter
from projector.alignment import most_changed
from projector.colors import FIRST_CODE, ColorEncoding
from projector.dataset import Dataset
from projector.errors import ProjectorError
from projector.figures import empty_figure, typed_array
from projector.moved import MOST_CHANGED, StepChange, moved_step
from projector.projection import Projected, axis_choice, pca_spec, project
from projector.view import Opening, View, default_label_column, point_labels, visible_rows
from projector.warmup import WarmUp
from projector.workspace import Workspace

WARMUP_POLL_MS = 1000
TWEEN_MS = 600  # while the steps play, the points travel this long from one step's place to the next's


def layout(warming_up: str = "", figure: dict | None = None) -> html.Div:
    """The scatter (``figure`` when the first view is ready), its stores and the warm-up's status."""
    return html.Div(
        [
            html.Div(warming_up, id=ids.WARMUP_STATUS, className="plot-status"),
            dcc.Interval(id=ids.WARMUP_POLL, interval=WARMUP_POLL_MS, disabled=not warming_up),
            dcc.Graph(
                id=ids.SCATTER,
                figure=figure or empty_figure("Loading…"),
                config={"displaylogo": False, "scrollZoom": True, "responsive": True},
                style={"height": "100%", "width": "100%"},
            ),
            *[
                dcc.Store(id=i)
                for i in (ids.STYLE_STORE, ids.HIGHLIGHT_STORE, ids.LABELS_STORE, ids.FRAME_STORE, ids.STYLED)
            ],
        ],
        className="plot",
    )


def legend(encoding: ColorEncoding, column: str | None) -> list:
    if encoding.kind == "none" or not column:
        return []
    items = [
        html.Li(
            [html.Span(className="swatch", style={"background": e.color}), e.label]
            + ([html.Span(f"{e.count:,}", className="count")] if encoding.kind == "categorical" else [])
        )
        for e in encoding.legend
    ]
    if encoding.kind == "numeric":
        title = f"{column}: gradient from low to high"
    else:
        colours = len(encoding.palette) - FIRST_CODE
        title = f"{column}: {colours:,} colour{'' if colours == 1 else 's'}"
    extra = (
        [html.Li(f"… and {encoding.hidden_categories:,} more, each with its own colour", className="hint")]
        if encoding.hidden_categories
        else []
    )
    return [html.Div(title, className="legend-title"), html.Ul(items + extra)]


def moved_note(change: StepChange, since: int, shown: int | None) -> str:
    """What a "moved since step S" colour means, or that S is the step shown."""
    if since == shown:
        return f"Step {since:,} is the step shown: nothing moved. Pick another step here, or move the step slider."
    return f"From step {since:,} to step {shown:,}: {change.note}."


def changed_items(data: Dataset, view: View, change: StepChange, label_by: str | None) -> list:
    """The points that changed most, most first, each a list entry that selects its point when clicked."""
    rows = visible_rows(view.subset, data.n)
    positions = most_changed(change.scores, MOST_CHANGED)
    labels = point_labels(data.metadata, label_by or default_label_column(list(data.metadata.columns)))
    items = []
    for position in positions.tolist():
        row = int(rows[position])
        children = [
            html.Span(labels[row], className="changed-label"),
            html.Span(f"{change.scores[position]:.3f}", className="distance"),
        ]
        items.append(list_entry(children, labels[row], row, position, "changed"))
    return items


def view_figure(
    workspace: Workspace,
    data: Dataset,
    view: View,
    projected: Projected,
    color_by: str | None,
    label_by: str | None,
    highlight: scatter.Highlight,
    categorical: bool = False,
) -> dict:
    """The full figure of a view's projected coordinates, styled for ``highlight``."""
    encoding = workspace.color_encoding(data, color_by, view.subset, categorical)
    labels = point_labels(data.metadata, label_by)[visible_rows(view.subset, data.n)].tolist()
    method = projected.spec.get("method")
    tokens = scatter.trace_meta(view, encoding, color_by, highlight, label_by, data.metadata_hash)
    meta = {**tokens, "projection": method}
    revision = scatter.revision(view, method, projected.coords.shape[1])
    return scatter.figure(projected.coords, projected.titles, labels, encoding, highlight, meta, revision)


def apply_camera(figure: dict, camera: dict | None, revision: str) -> None:
    """Put a saved camera (Plotly relayout data: 3-D ``scene.camera`` or 2-D axis ranges) into ``figure``."""
    layout = figure["layout"]
    layout["uirevision"] = f"{layout.get('uirevision')}|{revision}"
    if not camera:
        return
    if "scene" in layout and isinstance(camera.get("scene.camera"), dict):
        layout["scene"]["camera"] = camera["scene.camera"]
    for axis in ("xaxis", "yaxis"):
        low, high = camera.get(f"{axis}.range[0]"), camera.get(f"{axis}.range[1]")
        if axis in layout and low is not None and high is not None:
            layout[axis]["range"] = [low, high]


def first_view(workspace: Workspace, warmup: WarmUp) -> dict | None:
    """The figure a visitor lands on (the warmed tensor in 3-D PCA, default colours and labels) and the
    projection record that names it, or None while the warm-up has not made it ready.

    A page carries it in its layout, so the plot is drawn while the panels load; the draw callback then
    sees the same projection and leaves the figure alone.
    """
    if not warmup.data_ready.is_set() or warmup.key is None:
        return None
    data = workspace.dataset(warmup.key)
    view = View(warmup.key)
    result = workspace.pca(data, None, False)
    axes = axis_choice(result, [None, None, None], min(3, len(result.explained_variance_ratio)))
    projected = project(workspace, data, None, False, pca_spec(axes))
    empty = scatter.highlight_for(view, np.empty(0, dtype=np.int64), None)
    columns = list(data.metadata.columns)
    figure = view_figure(
        workspace, data, view, projected, workspace.default_color_column(data), default_label_column(columns), empty
    )
    return {
        "figure": figure,
        "projection": {**projection_record(projected, view), "first": True},
        "points": f"{projected.coords.shape[0]:,} points",
    }


def step_frame(view: View, projected: Projected, drawn: dict | None, playing: bool) -> dict | None:
    """The new coordinates of a view whose step moved, for the browser to move the drawn points to (while the
    steps play they travel there over ``TWEEN_MS``); None when the plot shows something else than this view's
    projection in this dimension, so the whole figure is drawn."""
    coords, spec = projected.coords, projected.spec
    same = drawn is not None and all(drawn.get(k) == v for k, v in spec.items() if k != "result")
    if not view.moved or not same or drawn.get("view") != view.token or drawn.get("dimension") != coords.shape[1]:
        return None
    axes = {name: typed_array(coords[:, i].astype(np.float32)) for i, name in enumerate("xyz"[: coords.shape[1]])}
    return {
        "view": view.token,
        "projection": spec.get("method"),
        "step": view.step,
        "tween": TWEEN_MS if playing else 0,
        "coords": axes,
    }


def projection_record(projected: Projected, view: View) -> dict:
    """What the browser keeps of a drawn projection: its spec, the view and the dimension."""
    return {**projected.spec, "view": scatter.view_token(view), "dimension": projected.coords.shape[1]}


DRAW_OUTPUTS = {
    "figure": Output(ids.SCATTER, "figure"),
    "points": Output(ids.POINT_COUNT, "children"),
    "record": Output(ids.PROJECTION_STORE, "data"),
    "moved": Output(ids.FRAME_STORE, "data", allow_duplicate=True),
}


def register(app, workspace: Workspace, warmup: WarmUp) -> None:
    @answers(
        app,
        {"status": Output(ids.WARMUP_STATUS, "children"), "done": Output(ids.WARMUP_POLL, "disabled")},
        slot=None,
        inputs={"_ticks": Input(ids.WARMUP_POLL, "n_intervals")},
        prevent_initial_call=True,
    )
    def warming_up(_ticks):
        status = warmup.status
        return {"status": status, "done": not status}

    @answers(
        app,
        DRAW_OUTPUTS,
        slot=ids.BANNER_DATA,
        inputs={
            "request": Input(ids.PROJECTION_REQUEST, "data"),
            "color_by": State(ids.COLOR_BY, "value"),
            "categorical": State(ids.CATEGORICAL_COLORING, "value"),
            "label_by": State(ids.LABEL_BY, "value"),
            "highlighted": State(ids.HIGHLIGHT_STORE, "data"),
            "drawn": State(ids.PROJECTION_STORE, "data"),
            "stopped": State(ids.STEP_TIMER, "disabled"),
        },
        prevent_initial_call=True,
    )
    def draw(request, color_by, categorical, label_by, highlighted, drawn, stopped):
        """The figure of the projection the projections panel asks for, with the current colours and highlight."""
        view = View.from_json((request or {}).get("view"))
        if view is None:
            return {"figure": empty_figure("No tensor to show"), "points": "0 points", "record": None}
        data = workspace.view_data(view)
        subset = view.subset
        spherized = request["spherized"]
        opening = Opening.from_json(request.get("opening"))
        if request["new_view"]:  # a new view starts with nothing selected, or with its bookmark's selection
            highlight = scatter.highlight_for(view, np.asarray(opening.selected if opening else []), None)
        else:
            highlight = scatter.highlight_from_payload(highlighted, view)
        notes: list[str] = []
        try:
            projected = project(workspace, data, subset, spherized, request["spec"])
            notes = projected.notes
        except ProjectorError as error:  # e.g. a custom search with no match: say so, show PCA
            notes = [str(error)]
            projected = project(workspace, data, subset, spherized, request["fallback"])
        record = projection_record(projected, view)
        prefilled = dict(drawn or {})  # a page opens with the warmed-up first view (first_view) already drawn
        moved = None if notes or opening else step_frame(view, projected, drawn, stopped is False)
        if moved is not None:  # only the step changed: the drawn points move, their style and the camera stay
            figure = no_update
        elif request["new_view"] and not opening and prefilled.pop("first", False) and record == prefilled:
            figure = no_update
        else:
            figure = view_figure(workspace, data, view, projected, color_by, label_by, highlight, bool(categorical))
        if opening:
            apply_camera(figure, opening.camera, opening.id)
        if notes:
            record = {**record, "notes": notes, "tab": request["tab"]}
        points = f"{projected.coords.shape[0]:,} points"
        return {"figure": figure, "points": points, "record": record, **({"moved": moved} if moved else {})}

    @answers(
        app,
        {
            "style": Output(ids.STYLE_STORE, "data"),
            "legend": Output(ids.COLOR_LEGEND, "children"),
            "changed": Output(ids.CHANGED_LIST, "children"),
        },
        inputs={
            "color_by": Input(ids.COLOR_BY, "value"),
            "categorical": Input(ids.CATEGORICAL_COLORING, "value"),
            "view": Input(ids.VIEW_STORE, "data"),
            "_edited": Input(ids.METADATA_EDITED, "data"),
            "label_by": State(ids.LABEL_BY, "value"),
        },
        prevent_initial_call=True,
    )
    def recolor(color_by, categorical, view, _edited, label_by):
        """The base colours of the view's points: the browser restyles with them (and the highlight); coloured
        by what moved since a step, the points that moved most are listed under the legend."""
        view = View.from_json(view)
        if view is None:
            return {"style": None, "legend": [], "changed": []}
        data = workspace.view_data(view)
        encoding = workspace.color_encoding(data, color_by, view.subset, bool(categorical))
        shown, changed = legend(encoding, color_by), []
        since = moved_step(color_by, list(data.metadata.columns))
        if since is not None:
            change = workspace.change_since(data, since, view.subset)
            shown.append(html.Div(moved_note(change, since, data.spec.step), className="hint"))
            changed = changed_items(data, view, change, label_by)
        return {"style": scatter.style_payload(view, encoding, color_by), "legend": shown, "changed": changed}

    @answers(
        app,
        {"labels": Output(ids.LABELS_STORE, "data")},
        inputs={
            "label_by": Input(ids.LABEL_BY, "value"),
            "_edited": Input(ids.METADATA_EDITED, "data"),
            "view": State(ids.VIEW_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def relabel(label_by, _edited, view):
        """The hover labels after a label-by change or an edit (a new figure carries its own)."""
        view = View.from_json(view)
        if view is None:
            return {"labels": None}
        data = workspace.view_data(view)
        labels = point_labels(data.metadata, label_by)[visible_rows(view.subset, data.n)]
        return {"labels": scatter.labels_payload(view, label_by, labels.tolist(), data.metadata_hash)}

    app.clientside_callback(
        ClientsideFunction("projector", "restyle"),
        Output(ids.STYLED, "data"),
        Input(ids.STYLE_STORE, "data"),
        Input(ids.HIGHLIGHT_STORE, "data"),
        Input(ids.LABELS_STORE, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("projector", "frame"),
        Output(ids.STYLED, "data", allow_duplicate=True),
        Input(ids.FRAME_STORE, "data"),
        prevent_initial_call=True,
    )

    @answers(
        app,
        {"data": Output(ids.BANNER_DATA, "children", allow_duplicate=True)},
        inputs={"_clicks": Input(ids.BANNER_CLOSE, "n_clicks")},
        prevent_initial_call=True,
    )
    def dismiss(_clicks):
        return {"data": [], "banner": []}
