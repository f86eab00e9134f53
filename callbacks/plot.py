"""The scatter plot: a full figure when the projection changes, a Patch when only styling does."""

from __future__ import annotations

import numpy as np
from dash import Input, Output, Patch, State, ctx, dcc, html, no_update

from callbacks import ids
from callbacks.common import banner, reports_errors
from callbacks.projections_panel import axis_choice, component_options, variance_text
from projector.colors import ColorEncoding, encode_column, uniform_encoding
from projector.figures import empty_figure, marker_update, point_style, scatter_figure
from projector.view import point_labels, subset_array, to_positions, visible_rows
from projector.workspace import Workspace


def layout() -> html.Div:
    return html.Div(
        dcc.Graph(
            id=ids.SCATTER,
            figure=empty_figure("Loading…"),
            config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            style={"height": "100%", "width": "100%"},
        ),
        className="plot",
    )


def color_encoding(workspace: Workspace, key: str, column: str | None, rows: np.ndarray) -> ColorEncoding:
    """The colour encoding of the visible ``rows`` (colours computed over these rows only)."""
    metadata = workspace.dataset(key).metadata
    if column and column in metadata.columns:
        return encode_column(metadata[column].iloc[rows].reset_index(drop=True))
    return uniform_encoding(rows.size)


def highlighted_rows(selection: dict | None, neighbors: dict | None, key: str) -> tuple[np.ndarray, int | None]:
    """Selected dataset rows (selection plus neighbours) and the anchor row, for tensor ``key``."""
    if not selection or selection.get("tensor") != key:
        return np.empty(0, dtype=np.int64), None
    rows = list(selection.get("points") or [])
    anchor = selection.get("anchor")
    if neighbors and neighbors.get("anchor") == anchor and anchor is not None:
        rows.extend(neighbors.get("indices") or [])
    return np.unique(np.asarray(rows, dtype=np.int64)), anchor


def style_for(workspace, key, view, color_by, selection, neighbors, dimension):
    """The point style and the number of highlighted points on screen."""
    data = workspace.dataset(key)
    subset = subset_array(view.get("indices"))
    rows = visible_rows(subset, data.n)
    encoding = color_encoding(workspace, key, color_by, rows)
    selected_rows, anchor = highlighted_rows(selection, neighbors, key)
    selected = to_positions(subset, selected_rows)
    anchor_pos = to_positions(subset, np.array([anchor])) if anchor is not None else np.empty(0)
    style = point_style(encoding, selected, int(anchor_pos[0]) if anchor_pos.size else None, dimension)
    return style, encoding, int(selected.size)


def legend(encoding: ColorEncoding, column: str | None) -> list:
    if encoding.kind == "none" or not column:
        return []
    items = [
        html.Li([html.Span(className="swatch", style={"background": e.color}), e.label]
                + ([html.Span(f"{e.count:,}", className="count")] if encoding.kind == "categorical" else []))
        for e in encoding.legend
    ]
    if encoding.kind == "numeric":
        title = f"{column}: gradient from low to high"
    else:
        title = f"{column}: {len(encoding.palette) - 3:,} colours"
    extra = [html.Li(f"… and {encoding.hidden_categories:,} more, each with its own colour", className="hint")] \
        if encoding.hidden_categories else []
    return [html.Div(title, className="legend-title"), html.Ul(items + extra)]


def register(app, workspace: Workspace) -> None:
    @app.callback(
        Output(ids.SCATTER, "figure"),
        Output(ids.PCA_X, "options"),
        Output(ids.PCA_Y, "options"),
        Output(ids.PCA_Z, "options"),
        Output(ids.PCA_Z, "disabled"),
        Output(ids.PCA_X, "value"),
        Output(ids.PCA_Y, "value"),
        Output(ids.PCA_Z, "value"),
        Output(ids.PCA_VARIANCE, "children"),
        Output(ids.POINT_COUNT, "children"),
        Output(ids.BANNER_DATA, "children", allow_duplicate=True),
        Input(ids.VIEW_STORE, "data"),
        Input(ids.DIMENSION, "value"),
        Input(ids.PCA_X, "value"),
        Input(ids.PCA_Y, "value"),
        Input(ids.PCA_Z, "value"),
        Input(ids.SPHERIZE, "value"),
        State(ids.COLOR_BY, "value"),
        State(ids.LABEL_BY, "value"),
        State(ids.SELECTION_STORE, "data"),
        State(ids.NEIGHBORS_STORE, "data"),
        prevent_initial_call=True,
    )
    @reports_errors(11)
    def draw(view, dimension, pca_x, pca_y, pca_z, spherize, color_by, label_by, selection, neighbors):
        if not view or not view.get("tensor"):
            blank = [no_update] * 3
            return empty_figure("No tensor to show"), [], [], [], True, *blank, "", "0 points", no_update
        key = view["tensor"]
        data = workspace.dataset(key)
        subset = subset_array(view.get("indices"))
        result = workspace.pca(key, subset, bool(spherize))
        k = len(result.explained_variance_ratio)
        dimension = min(int(dimension or 3), k)
        chosen = axis_choice(result, [pca_x, pca_y, pca_z], min(3, k))
        axes = chosen[:dimension]
        if ctx.triggered_id == ids.VIEW_STORE:  # a new view starts with nothing selected
            selection, neighbors = None, None
        style, _, _ = style_for(workspace, key, view, color_by, selection, neighbors, max(dimension, 2))
        rows = visible_rows(subset, data.n)
        labels = point_labels(data.metadata, label_by)[rows].tolist()
        titles = [f"Component #{a + 1}" for a in axes]
        figure = scatter_figure(result.coords[:, axes], labels, style, titles, revision=f"{key}|{dimension}")
        options = component_options(result)
        return (
            figure,
            options,
            options,
            options,
            dimension < 3,
            *(chosen + [None, None])[:3],
            variance_text(result, axes),
            f"{rows.size:,} points",
            no_update,
        )

    @app.callback(
        Output(ids.SCATTER, "figure", allow_duplicate=True),
        Output(ids.COLOR_LEGEND, "children"),
        Output(ids.SELECTION_COUNT, "children"),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.COLOR_BY, "value"),
        Input(ids.LABEL_BY, "value"),
        Input(ids.SELECTION_STORE, "data"),
        Input(ids.NEIGHBORS_STORE, "data"),
        State(ids.VIEW_STORE, "data"),
        State(ids.DIMENSION, "value"),
        prevent_initial_call=True,
    )
    @reports_errors(4)
    def restyle(color_by, label_by, selection, neighbors, view, dimension):
        if not view or not view.get("tensor"):
            return no_update, [], "0 selected", no_update
        key = view["tensor"]
        style, encoding, count = style_for(workspace, key, view, color_by, selection, neighbors, int(dimension or 3))
        patch = Patch()
        trigger = ctx.triggered_id
        if trigger == ids.LABEL_BY:
            data = workspace.dataset(key)
            rows = visible_rows(subset_array(view.get("indices")), data.n)
            patch["data"][0]["hovertext"] = point_labels(data.metadata, label_by)[rows].tolist()
        else:
            marker = marker_update(style, sizes=trigger != ids.COLOR_BY)
            for name, value in marker.items():
                patch["data"][0]["marker"][name] = value
        return patch, legend(encoding, color_by), f"{count:,} selected", no_update

    @app.callback(
        Output(ids.BANNER_DATA, "children", allow_duplicate=True),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.BANNER_CLOSE, "n_clicks"),
        prevent_initial_call=True,
    )
    def dismiss(_clicks):
        return [], []
