"""Metadata charts: a collapsible strip under the plot of one small chart per chosen column (a histogram, or
the top values as bars), each overlaying the current selection; brushing a range or clicking bars selects
those points (``assets/charts.js`` turns the chart's event into a group pick, answered like a search).

The charts are worked out only while the strip is open, and the selection and the view reach them only
then, so a closed strip costs a click or a step nothing.
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html

from callbacks import ids
from callbacks.common import answers, opened
from projector.charts import MAX_CHARTS, chart, chart_figure
from projector.colors import LEGEND_LIMIT
from projector.dataset import Dataset
from projector.errors import InputError
from projector.view import View, selected_rows, to_positions, visible_rows
from projector.workspace import Workspace

CHART = ids.METADATA_CHART
DEFAULT_CHARTS = 3
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Checklist(
                id=ids.CHARTS_TOGGLE,
                options=[{"label": " Metadata charts", "value": "on"}],
                value=[],
                className="checkbox charts-toggle",
            ),
            html.Div(
                [
                    html.Label("Columns", htmlFor=ids.CHART_COLUMNS),
                    dcc.Dropdown(id=ids.CHART_COLUMNS, multi=True, placeholder=f"Up to {MAX_CHARTS} columns"),
                    html.Span(
                        "Brush a histogram or click bars to select those points; the selection shows in every chart.",
                        className="hint",
                    ),
                ],
                className="chart-controls",
            ),
            html.Div(id=ids.METADATA_CHARTS, className="charts"),
            dcc.Store(id=ids.CHARTS_SELECTION),
            dcc.Store(id=ids.CHARTS_VIEW),
        ],
        className="charts-strip",
    )


def default_columns(workspace: Workspace, data: Dataset) -> list[str]:
    """The first columns worth a chart: numbers, or categories with a legend's worth of values."""
    kinds = workspace.column_kinds(data)
    chosen = [k.name for k in kinds if k.numeric or 1 < k.distinct <= LEGEND_LIMIT]
    return chosen[:DEFAULT_CHARTS]


def figures(data: Dataset, view: View, columns: list[str], selection, neighbors, dark: bool) -> list[dict]:
    """Each chosen column's chart figure over the view's points, the selection overlaid."""
    rows = visible_rows(view.subset, data.n)
    picked = selected_rows(selection, neighbors, view.tensor)
    selected = to_positions(view.subset, picked) if picked.size else None
    out = []
    for column in columns:
        values = data.metadata[column].iloc[rows].reset_index(drop=True)
        values.name = column
        out.append(chart_figure(chart(values, selected), dark=dark))
    return out


def chosen_columns(data: Dataset, columns) -> list[str]:
    """The chosen columns this tensor has (at most MAX_CHARTS); InputError for more."""
    columns = list(columns or [])
    if len(columns) > MAX_CHARTS:
        raise InputError(f"Chart at most {MAX_CHARTS} columns at once; remove one first.")
    return [c for c in columns if c in data.metadata.columns]


def register(app, workspace: Workspace) -> None:
    @answers(
        app,
        {"options": Output(ids.CHART_COLUMNS, "options"), "value": Output(ids.CHART_COLUMNS, "value")},
        slot=None,
        inputs={"key": Input(ids.TENSOR_SELECT, "value"), "_edited": Input(ids.METADATA_EDITED, "data")},
        state={"chosen": State(ids.CHART_COLUMNS, "value")},
    )
    def columns(key, _edited, chosen):
        """The tensor's columns; those chosen stay when it has them, else the first few worth a chart."""
        data = opened(workspace, key)
        if data is None:
            return {"options": [], "value": []}
        names = list(data.metadata.columns)
        kept = [c for c in chosen or [] if c in names]
        return {
            "options": [{"label": c, "value": c} for c in names],
            "value": kept or default_columns(workspace, data),
        }

    @answers(
        app,
        {"charts": Output(ids.METADATA_CHARTS, "children")},
        inputs={
            "open": Input(ids.CHARTS_TOGGLE, "value"),
            "columns": Input(ids.CHART_COLUMNS, "value"),
            "_shown": Input(ids.CHARTS_VIEW, "data"),
            "_edited": Input(ids.METADATA_EDITED, "data"),
            "view": State(ids.VIEW_STORE, "data"),
            "selection": State(ids.SELECTION_STORE, "data"),
            "neighbors": State(ids.NEIGHBORS_STORE, "data"),
            "theme": State(ids.THEME_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def draw(open, columns, _shown, _edited, view, selection, neighbors, theme):
        """The charts, one dcc.Graph per chosen column, while the strip is open."""
        view = View.from_json(view)
        if not open or view is None:
            return {"charts": []}
        data = workspace.view_data(view)
        shown = chosen_columns(data, columns)
        drawn = figures(data, view, shown, selection, neighbors, theme == "dark")
        graphs = [
            dcc.Graph(id={"type": CHART, "column": c}, figure=f, config=GRAPH_CONFIG, className="chart")
            for c, f in zip(shown, drawn)
        ]
        return {"charts": graphs}

    @answers(
        app,
        {"figures": Output({"type": CHART, "column": ALL}, "figure")},
        inputs={
            "selected": Input(ids.CHARTS_SELECTION, "data"),
            "theme": Input(ids.THEME_STORE, "data"),
            "charted": State({"type": CHART, "column": ALL}, "id"),
            "open": State(ids.CHARTS_TOGGLE, "value"),
            "view": State(ids.VIEW_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def overlay(selected, theme, charted, open, view):
        """Every chart again with the new selection overlaid (or the new theme)."""
        view = View.from_json(view)
        selection, neighbors = (selected or {}).get("selection"), (selected or {}).get("neighbors")
        if not charted:
            return {"figures": []}
        if not open or view is None:
            return {}
        data = workspace.view_data(view)
        shown = chosen_columns(data, [c.get("column") for c in charted])
        if len(shown) != len(charted):
            return {}  # the columns changed meanwhile: the charts are drawn again with them
        return {"figures": figures(data, view, shown, selection, neighbors, theme == "dark")}

    app.clientside_callback(  # a new view reaches draw() only while the charts are open
        ClientsideFunction("projector", "whileUsed"),
        Output(ids.CHARTS_VIEW, "data"),
        Input(ids.VIEW_STORE, "data"),
        Input(ids.CHARTS_TOGGLE, "value"),
    )
    app.clientside_callback(  # the selection reaches overlay() only while the charts are open
        ClientsideFunction("charts", "selected"),
        Output(ids.CHARTS_SELECTION, "data"),
        Input(ids.SELECTION_STORE, "data"),
        Input(ids.NEIGHBORS_STORE, "data"),
        Input(ids.CHARTS_TOGGLE, "value"),
    )
    app.clientside_callback(
        ClientsideFunction("charts", "pick"),
        Output(ids.GROUP_PICK, "data"),
        Input({"type": CHART, "column": ALL}, "selectedData"),
        Input({"type": CHART, "column": ALL}, "clickData"),
        prevent_initial_call=True,
    )
