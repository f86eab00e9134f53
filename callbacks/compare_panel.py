"""Two embeddings side by side: the *Compare with* choice, the second plot, its neighbourhood-change colour and
the clicked point's neighbours in both.

The second plot shows the same rows as the first (the same isolated points, the same highlight): it is redrawn
from the first plot's projection record and highlight store, so selecting, searching or clicking in either
lights up the same rows in both. A click on the second plot selects its point as a click on the first does
(``callbacks.selecting.on_compare_click``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html

from callbacks import ids
from callbacks.common import answers, list_entry, read_query
from callbacks.inspector_panel import MAX_K
from projector import scatter
from projector.alignment import most_changed
from projector.colors import encode_column
from projector.compare import (
    MOST_CHANGED,
    change_scores,
    compare_options,
    name_of,
    parse_choice,
    second_dataset,
    second_view,
    shared_neighbours,
)
from projector.dataset import Dataset
from projector.errors import InputError
from projector.figures import empty_figure
from projector.projection import project
from projector.view import View, default_label_column, point_labels, to_positions, visible_rows
from projector.workspace import Workspace

DEFAULT_K = 10  # the neighbourhood compared while the inspector's count is not set


def layout() -> html.Div:
    """The *Compare with* section of the left panel."""
    return html.Div(
        [
            html.H2("Compare"),
            html.Label("Compare with", htmlFor=ids.COMPARE_TENSOR),
            dcc.Dropdown(id=ids.COMPARE_TENSOR, options=[], placeholder="Another embedding of the same points"),
            html.Label("Rows matched by", htmlFor=ids.COMPARE_MATCH),
            dcc.Dropdown(id=ids.COMPARE_MATCH, options=[], placeholder="row number (index)"),
            html.Div(
                "Drawn beside the plot, row for row: selecting, searching or clicking in either lights up the "
                "same points in both.",
                className="hint",
            ),
            dcc.Checklist(
                id=ids.COMPARE_COLOR,
                options=[{"label": " Colour by neighbourhood change", "value": "on"}],
                value=[],
                className="checkbox",
            ),
            html.Div(id=ids.COMPARE_STATUS, className="hint compare-status"),
            dcc.Store(id=ids.COMPARE_HIGHLIGHT),
            dcc.Store(id=ids.COMPARE_NEIGHBOURS_OF),
            html.Ol(id=ids.COMPARE_CHANGED, className="changed pick-list"),
        ],
        className="panel",
    )


def plot_layout() -> html.Div:
    """The second plot's column, beside the first."""
    return html.Div(
        dcc.Graph(
            id=ids.SCATTER_COMPARE,
            figure=empty_figure(""),
            config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            style={"height": "100%", "width": "100%"},
        ),
        id=ids.COMPARE_PLOT,
        className="plot compare-plot",
        hidden=True,
    )


def neighbourhood_k(k) -> int:
    """The inspector's neighbour count, the neighbourhood compared."""
    if k in (None, ""):
        return DEFAULT_K
    if isinstance(k, float) and k.is_integer():  # a number field may send 10.0
        k = int(k)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError(f"Neighbours must be a whole number from 1 to {MAX_K}; got {k!r}.")
    return k


def changed_entries(data: Dataset, view: View, scores: np.ndarray, label_by: str | None) -> list:
    """The points whose neighbourhood changed most, most first, each a list entry that selects its point."""
    rows = visible_rows(view.subset, data.n)
    labels = point_labels(data.metadata, label_by or default_label_column(list(data.metadata.columns)))
    entries = []
    for position in most_changed(scores, MOST_CHANGED).tolist():
        row = int(rows[position])
        children = [
            html.Span(labels[row], className="changed-label"),
            html.Span(f"{scores[position]:.2f}", className="distance"),
        ]
        entries.append(list_entry(children, labels[row], row, position, "changed"))
    return entries


def kept_choice(options: list[dict], current: str | None, wanted: str | None) -> str | None:
    """The choice shown once the options change: the current one while it is offered; the URL's (a page
    opening with ``&compare=``) while none is chosen; else none."""
    values = {o["value"] for o in options}
    if current is not None:
        return current if current in values else None
    return wanted if wanted in values else None


def compared_figure(workspace: Workspace, data: Dataset, other: Dataset, view: View, form: dict) -> dict:
    """The second plot, its status line and its most-changed list, for the first plot's ``form`` values."""
    record, subset, spherized = form["record"], view.subset, bool(form["spherize"])
    first = project(workspace, data, subset, spherized, record)
    second, note = second_view(workspace, first, other, subset, spherized)
    changed: list = []
    if form["colour"]:
        k = neighbourhood_k(form["k"])
        scores = change_scores(workspace, data, other, subset, k, form["metric"] or "cosine")
        encoding = encode_column(pd.Series(scores))
        note += f" Coloured by neighbourhood change: 1 − Jaccard of the {k} nearest neighbours in each, 0 to 1."
        changed = changed_entries(data, view, scores, form["label_by"])
    else:
        encoding = workspace.color_encoding(data, form["color_by"], subset, bool(form["categorical"]))
    labels = point_labels(data.metadata, form["label_by"])[visible_rows(subset, data.n)].tolist()
    highlight = scatter.highlight_from_payload(form["highlight"], view)
    revision = "compare|" + scatter.revision(view, str(record.get("method")), second.coords.shape[1])
    meta = {"view": scatter.view_token(view), "compare": other.spec.key}
    figure = scatter.figure(second.coords, second.titles, labels, encoding, highlight, meta, revision)
    return {"figure": figure, "status": note, "changed": changed}


def neighbour_lists(workspace: Workspace, data: Dataset, other: Dataset, view: View, neighbors: dict, form) -> list:
    """The clicked point's neighbours in the second embedding, those it has in both marked."""
    anchor, first = int(neighbors["anchor"]), [int(r) for r in neighbors["indices"]][:MAX_K]
    if not 0 <= anchor < other.n:
        raise InputError(f"Point {anchor:,} is not one of the {other.n:,} points compared; click a point again.")
    found, distances = workspace.neighbor_index(other).query(
        anchor, max(len(first), 1), form["metric"] or "cosine", subset=view.subset
    )
    shared = shared_neighbours(first, [int(r) for r in found])
    labels = point_labels(data.metadata, form["label_by"])
    positions = to_positions(view.subset, found)
    entries = []
    for row, distance, position in zip(found.tolist(), distances.tolist(), positions.tolist()):
        mark = "both" if row in shared else ""
        children = [
            html.Span(labels[row], className="neighbor-label"),
            html.Span(mark, className="shared-mark"),
            html.Span(f"{distance:.3f}", className="distance"),
        ]
        entries.append(list_entry(children, labels[row], row, position, "neighbor" + (" shared" if mark else "")))
    title = f"In {name_of(other)}: {len(shared):,} of {len(first):,} shared"
    return [html.Div(title, className="compare-title"), html.Ol(entries, className="neighbors pick-list")]


CLEARED = {"figure": empty_figure(""), "hidden": True, "status": "", "changed": []}


def chosen_now() -> bool:
    """Whether this request was sent by a change of the *Compare with* choice (not by the first plot's)."""
    return f"{ids.COMPARE_TENSOR}.value" in ctx.triggered_prop_ids


def register(app, workspace: Workspace) -> None:
    for source, target in (
        (ids.HIGHLIGHT_STORE, ids.COMPARE_HIGHLIGHT),
        (ids.NEIGHBORS_STORE, ids.COMPARE_NEIGHBOURS_OF),
    ):
        app.clientside_callback(
            ClientsideFunction("projector", "whileUsed"),
            Output(target, "data"),
            Input(source, "data"),
            Input(ids.COMPARE_TENSOR, "value"),
        )

    @answers(
        app,
        {
            "options": Output(ids.COMPARE_TENSOR, "options"),
            "value": Output(ids.COMPARE_TENSOR, "value"),
            "match_options": Output(ids.COMPARE_MATCH, "options"),
        },
        inputs={
            "view": Input(ids.VIEW_STORE, "data"),
            "current": State(ids.COMPARE_TENSOR, "value"),
            "search": State(ids.URL, "search"),
        },
        prevent_initial_call=True,
    )
    def offer(view, current, search):
        """What the open tensor can be compared with; a choice no longer offered is dropped."""
        view = View.from_json(view)
        if view is None:
            return {"options": [], "value": None, "match_options": []}
        data = workspace.view_data(view)
        options = compare_options(workspace, data)
        value = kept_choice(options, current, read_query(search).get("compare"))
        columns = [{"label": str(c), "value": str(c)} for c in data.metadata.columns]
        return {"options": options, "match_options": columns, **({} if value == current else {"value": value})}

    @answers(
        app,
        {
            "figure": Output(ids.SCATTER_COMPARE, "figure"),
            "hidden": Output(ids.COMPARE_PLOT, "hidden"),
            "status": Output(ids.COMPARE_STATUS, "children"),
            "changed": Output(ids.COMPARE_CHANGED, "children"),
        },
        inputs={
            "choice": Input(ids.COMPARE_TENSOR, "value"),
            "by": Input(ids.COMPARE_MATCH, "value"),
            "record": Input(ids.PROJECTION_STORE, "data"),
            "highlight": Input(ids.COMPARE_HIGHLIGHT, "data"),
            "colour": Input(ids.COMPARE_COLOR, "value"),
            "color_by": Input(ids.COLOR_BY, "value"),
            "categorical": Input(ids.CATEGORICAL_COLORING, "value"),
            "k": Input(ids.NEIGHBORS_K, "value"),
            "metric": Input(ids.DISTANCE_METRIC, "value"),
            "view": State(ids.VIEW_STORE, "data"),
            "spherize": State(ids.SPHERIZE, "value"),
            "label_by": State(ids.LABEL_BY, "value"),
        },
        prevent_initial_call=True,
    )
    def draw_compare(**form):
        """The second plot, redrawn with the first's projection, colours and highlight."""
        choice, view = parse_choice(form["choice"]), View.from_json(form["view"])
        if choice is None or view is None or not form["record"]:  # nothing compared: hidden once, then left
            return CLEARED if chosen_now() else {}
        data = workspace.view_data(view)
        other = second_dataset(workspace, data, choice, form["by"])
        return {"hidden": False, **compared_figure(workspace, data, other, view, form)}

    @answers(
        app,
        {"lists": Output(ids.COMPARE_NEIGHBORS, "children")},
        inputs={
            "neighbors": Input(ids.COMPARE_NEIGHBOURS_OF, "data"),
            "choice": Input(ids.COMPARE_TENSOR, "value"),
            "by": Input(ids.COMPARE_MATCH, "value"),
            "view": State(ids.VIEW_STORE, "data"),
            "metric": State(ids.DISTANCE_METRIC, "value"),
            "label_by": State(ids.LABEL_BY, "value"),
        },
        prevent_initial_call=True,
    )
    def compare_neighbours(**form):
        """The clicked point's neighbours in the second embedding, beside its neighbours in the first."""
        choice, view, neighbors = parse_choice(form["choice"]), View.from_json(form["view"]), form["neighbors"]
        if choice is None or view is None or not neighbors:
            return {"lists": []} if choice is not None or chosen_now() else {}
        data = workspace.view_data(view)
        other = second_dataset(workspace, data, choice, form["by"])
        return {"lists": neighbour_lists(workspace, data, other, view, neighbors, form)}
