"""Inspector panel: search, click and drag selection, nearest neighbours, isolate and show all."""

from __future__ import annotations

import numpy as np
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html

from callbacks import ids
from callbacks.common import answers, banner, list_entry, outcome, reports_errors
from callbacks.selecting import Change, SelectInputs, handler_for
from projector.dataset import Dataset
from projector.errors import InputError
from projector.figures import NEAR_COLORS, near_levels, proximity
from projector.neighbors import METRICS
from projector.scatter import highlight_for, highlight_payload
from projector.view import (
    Selection,
    View,
    point_labels,
    selected_rows,
    to_positions,
)
from projector.workspace import Workspace

DEFAULT_K = 100  # as TensorBoard
MAX_K = 1000
MATCHES_SHOWN = 100  # the match list shows this many, as TensorBoard, and says how many more there are


def layout() -> html.Div:
    return html.Div(
        [
            html.H2("Inspector"),
            html.Div(
                [
                    dcc.Input(
                        id=ids.SEARCH_INPUT,
                        type="text",
                        placeholder="Search",
                        debounce=False,  # the browser runs it after a pause in typing, or at once on Enter
                        className="search",
                    ),
                    dcc.Checklist(
                        id=ids.SEARCH_REGEX,
                        options=[{"label": " Regex", "value": "regex"}],
                        value=[],
                        className="checkbox inline",
                    ),
                ],
                className="search-row",
            ),
            html.Label("Search in", htmlFor=ids.SEARCH_COLUMN),
            dcc.Dropdown(id=ids.SEARCH_COLUMN, clearable=False),
            html.Div(id=ids.SEARCH_STATUS, className="status"),
            dcc.Store(id=ids.SEARCH_QUERY, data=""),
            html.Ol(id=ids.MATCH_LIST, className="matches pick-list"),
            html.Div(id=ids.MATCH_MORE, className="hint match-more"),
            dcc.Store(id=ids.LIST_PICK),
            html.Div(
                [
                    html.Button("Isolate selection", id=ids.ISOLATE_SELECTION),
                    html.Button("Clear selection", id=ids.CLEAR_SELECTION),
                    html.Button("Show all data", id=ids.SHOW_ALL),
                ],
                className="buttons",
            ),
            html.Label("Clicking a point", htmlFor=ids.CLICK_MODE),
            dcc.RadioItems(
                id=ids.CLICK_MODE,
                options=[
                    {"label": " selects it and its neighbours", "value": "neighbors"},
                    {"label": " selects a sphere around it", "value": "sphere"},
                ],
                value="neighbors",
                className="radio",
            ),
            html.Div(
                [
                    html.Label("Sphere radius (plot units; blank = 5% of the view)", htmlFor=ids.SPHERE_RADIUS),
                    dcc.Input(id=ids.SPHERE_RADIUS, type="number", min=0, step="any", debounce=True),
                ],
                className="sphere-row",
            ),
            html.Div(
                [
                    html.Label("Neighbours", htmlFor=ids.NEIGHBORS_K),
                    dcc.Input(
                        id=ids.NEIGHBORS_K, type="number", min=1, max=MAX_K, step=1, value=DEFAULT_K, debounce=True
                    ),
                    dcc.RadioItems(
                        id=ids.DISTANCE_METRIC,
                        options=[{"label": f" {m}", "value": m} for m in METRICS],
                        value="cosine",
                        inline=True,
                        className="radio",
                    ),
                ],
                className="neighbors-row",
            ),
            html.Div(id=ids.POINT_DETAILS, className="details"),
            html.Div(
                [
                    html.Ol(id=ids.NEIGHBORS_LIST, className="neighbors pick-list"),
                    html.Div(id=ids.COMPARE_NEIGHBORS, className="compare-neighbors"),
                ],
                className="neighbour-lists",
            ),
        ],
        className="panel inspector-panel",
    )


def neighbor_item(
    label: str, distance: float, near: float, level: int, thumbnail: str | None, row: int, position: int
) -> html.Li:
    """A neighbour: thumbnail, label, distance, and underneath a bar as long as it is near, in its plot colour."""
    children = [html.Img(src=thumbnail, className="thumb")] if thumbnail else []
    children += [html.Span(label, className="neighbor-label"), html.Span(f"{distance:.4f}", className="distance")]
    bar = {"--near": f"{near:.0%}", "--near-color": NEAR_COLORS[level]}  # drawn by the CSS of .neighbor.pick
    return list_entry(children, label, row, position, "neighbor", style=bar)


def match_items(data: Dataset, view: View, matches: np.ndarray, label_by: str | None) -> dict:
    """The match list's entries (the first MATCHES_SHOWN matches) and the line saying how many more there are."""
    labels = point_labels(data.metadata, label_by)
    shown_rows = matches[:MATCHES_SHOWN]
    positions = to_positions(view.subset, shown_rows)
    items = [
        list_entry([html.Span(labels[r], className="match-label")], labels[r], int(r), int(p), "match")
        for r, p in zip(shown_rows, positions)
    ]
    more = matches.size - shown_rows.size
    return {"match_items": items, "match_more": f"… and {more:,} more" if more > 0 else ""}


def isolate_text(count: int) -> str:
    """The isolate button's text: how many points it would isolate (it needs two)."""
    return f"Isolate {count:,} points" if count > 1 else "Isolate selection"


SELECT_OUTPUTS = {
    "selection": Output(ids.SELECTION_STORE, "data"),
    "neighbors": Output(ids.NEIGHBORS_STORE, "data"),
    "highlight": Output(ids.HIGHLIGHT_STORE, "data"),
    "status": Output(ids.SEARCH_STATUS, "children"),
    "count": Output(ids.SELECTION_COUNT, "children"),
    "neighbor_items": Output(ids.NEIGHBORS_LIST, "children"),
    "match_items": Output(ids.MATCH_LIST, "children"),
    "match_more": Output(ids.MATCH_MORE, "children"),
    "isolate_text": Output(ids.ISOLATE_SELECTION, "children"),
    "details": Output(ids.POINT_DETAILS, "children"),
    "search_text": Output(ids.SEARCH_INPUT, "value"),
    "query": Output(ids.SEARCH_QUERY, "data"),
    "banner": Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
}
NOTHING_SHOWN = {
    "selection": None,
    "neighbors": None,
    "highlight": None,
    "status": "",
    "count": "0 selected",
    "neighbor_items": [],
    "match_items": [],
    "match_more": "",
    "isolate_text": isolate_text(0),
    "details": [],
}


def register(app, workspace: Workspace) -> None:
    app.clientside_callback(
        ClientsideFunction("projector", "searchQuery"),
        Output(ids.SEARCH_QUERY, "data", allow_duplicate=True),
        Input(ids.SEARCH_INPUT, "value"),
        Input(ids.SEARCH_INPUT, "n_submit"),
        State(ids.SEARCH_QUERY, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        output=SELECT_OUTPUTS,
        inputs={
            "query": Input(ids.SEARCH_QUERY, "data"),
            "column": Input(ids.SEARCH_COLUMN, "value"),
            "regex": Input(ids.SEARCH_REGEX, "value"),
            "click": Input(ids.SCATTER, "clickData"),
            "compare_click": Input(ids.SCATTER_COMPARE, "clickData"),
            "compare_drag": Input(ids.SCATTER_COMPARE, "selectedData"),
            "drag": Input(ids.SCATTER, "selectedData"),
            "pick": Input(ids.LIST_PICK, "data"),
            "group": Input(ids.GROUP_PICK, "data"),
            "_clear": Input(ids.CLEAR_SELECTION, "n_clicks"),
            "view": Input(ids.VIEW_STORE, "data"),
            "opening": Input(ids.BOOKMARK_OPENING, "data"),
            "k": Input(ids.NEIGHBORS_K, "value"),
            "metric": Input(ids.DISTANCE_METRIC, "value"),
            "_edited": Input(ids.METADATA_EDITED, "data"),
        },
        state={
            "mode": State(ids.CLICK_MODE, "value"),
            "radius": State(ids.SPHERE_RADIUS, "value"),
            "projection": State(ids.PROJECTION_STORE, "data"),
            "spherize": State(ids.SPHERIZE, "value"),
            "current": State(ids.SELECTION_STORE, "data"),
            "label_by": State(ids.LABEL_BY, "value"),
            "typed": State(ids.SEARCH_INPUT, "value"),
            "compare": State(ids.COMPARE_TENSOR, "value"),
            "compare_by": State(ids.COMPARE_MATCH, "value"),
        },
        prevent_initial_call=True,
    )
    @reports_errors(SELECT_OUTPUTS)
    def select(**values):
        """Every change of selection in one step: the stores, the texts and the highlight arrive together."""
        view = View.from_json(values["view"])
        if view is None:
            return outcome(SELECT_OUTPUTS, **NOTHING_SHOWN)
        handler = handler_for(ctx.triggered_prop_ids)
        if handler is None:
            return outcome(SELECT_OUTPUTS)
        inp = SelectInputs.of(values, view, ctx.triggered_prop_ids)
        data = workspace.view_data(view)
        return outcome(SELECT_OUTPUTS, **rendered(workspace, data, inp, handler(workspace, data, inp)))

    register_isolate(app, workspace)


def rendered(workspace: Workspace, data: Dataset, inp: SelectInputs, change: Change) -> dict:
    """The outputs of a change of selection (none when nothing changes)."""
    if change.selection is None:
        return {}
    values = shown(workspace, data, inp.view, change.selection, inp.k, inp.metric, inp.label_by)
    if not change.redraw:
        del values["highlight"]  # unchanged: the plot is left alone
    if change.status is not None:
        values["status"] = change.status
    if change.matches is not None:
        values.update(match_items(data, inp.view, change.matches, inp.label_by))
    if change.clear_search:
        values.update(search_text="", query="")
    if change.clear_banner:
        values["banner"] = banner([])
    return values


def shown(workspace: Workspace, data: Dataset, view: View, sel: Selection, k, metric, label_by) -> dict:
    """What a selection shows (and stores): its neighbours, the highlight, the count and details."""
    anchor = sel.anchor
    neighbors, items = None, []
    found = levels = None
    if anchor is not None:
        if k is None or not 1 <= int(k) <= MAX_K:
            raise InputError(f"Neighbours must be a whole number from 1 to {MAX_K}; got {k!r}.")
        index = workspace.neighbor_index(data)
        found, distances = index.query(int(anchor), int(k), metric or "cosine", subset=view.subset)
        near = proximity(distances, metric or "cosine")
        levels = near_levels(near)
        labels = point_labels(data.metadata, label_by)
        sprite = data.sprite
        items = [
            neighbor_item(
                labels[r],
                float(d),
                float(q),
                int(level),
                sprite.thumbnail_data_uri(int(r)) if sprite else None,
                int(r),
                int(p),
            )
            for r, d, q, level, p in zip(found, distances, near, levels, to_positions(view.subset, found))
        ]
        neighbors = {
            "anchor": int(anchor),
            "indices": [int(r) for r in found],
            "distances": [float(d) for d in distances],
        }
    highlight = highlight_for(
        view,
        sel.rows(neighbors),
        anchor,
        clears_box=sel.source == "drag",
        near_rows=found,
        near_levels=levels,
    )
    return {
        "selection": sel.to_json(),
        "neighbors": neighbors,
        "neighbor_items": items,
        "highlight": highlight_payload(view, highlight),
        "count": f"{highlight.positions.size:,} selected",
        "isolate_text": isolate_text(int(highlight.positions.size)),
        "details": details_for(data, sel, label_by),
    }


def register_isolate(app, workspace: Workspace) -> None:
    @answers(
        app,
        {"view": Output(ids.VIEW_STORE, "data", allow_duplicate=True)},
        inputs={
            "_isolate": Input(ids.ISOLATE_SELECTION, "n_clicks"),
            "_show_all": Input(ids.SHOW_ALL, "n_clicks"),
            "sel": State(ids.SELECTION_STORE, "data"),
            "neighbors": State(ids.NEIGHBORS_STORE, "data"),
            "view": State(ids.VIEW_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def isolate(_isolate, _show_all, sel, neighbors, view):
        view = View.from_json(view)
        if view is None:
            return {}
        if ctx.triggered_id == ids.SHOW_ALL:
            return {"view": View(view.tensor, step=view.step).to_json(), "banner": []}
        rows = selected_rows(sel, neighbors, view.tensor)
        if rows.size < 2:
            raise InputError("Select at least two points (search, click or drag) before isolating them.")
        return {"view": View.of(view.tensor, rows, view.step).to_json(), "banner": []}


def details_for(data: Dataset, sel: Selection, label_by: str | None) -> list:
    """The selected point's metadata and thumbnail, or a summary of a larger selection."""
    if not sel.points:
        return []
    anchor = sel.anchor
    if anchor is None:
        return [html.Div(f"{len(sel.points):,} points selected by {sel.source}.")]
    label = point_labels(data.metadata, label_by)[anchor]
    rows = [html.Tr([html.Th("row"), html.Td(str(int(data.row_ids[anchor])))])]
    rows += [html.Tr([html.Th(c), html.Td(str(data.metadata.iloc[anchor][c]))]) for c in data.metadata.columns]
    children = [html.Div(label, className="selected-label")]
    if data.sprite:
        children.append(html.Img(src=data.sprite.thumbnail_data_uri(int(anchor)), className="thumb large"))
    children.append(html.Table(rows, className="metadata"))
    children.append(html.Div("Nearest neighbours (original space)", className="legend-title"))
    return children
