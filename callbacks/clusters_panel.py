"""Clusters panel: find clusters of the view (a background job), name them, list them, select one.

A run writes the session's ``cluster`` metadata column (:func:`projector.cluster_job.run_clusters`) and
announces it like an edit (``METADATA_EDITED``), so colour by, label by, search and downloads take it up; the
plot is then coloured by it. The list and the names on the plot are read back from that column for the view
shown, so they follow isolation, a step change and an edit of the column.
"""

from __future__ import annotations

import hashlib
import json

from dash import ClientsideFunction, Input, Output, State, dcc, html

from callbacks import ids
from callbacks.common import answers, banner, opened, outcome, reports_errors
from callbacks.jobs import POLL_MS, refusal, requesting_session
from projector.cluster_job import run_clusters
from projector.clusters import COLUMN, Groups, groups
from projector.dataset import Dataset
from projector.errors import InputError
from projector.jobs import JobRefused, die_with_parent
from projector.projection import project
from projector.scatter import cluster_payload
from projector.view import View, visible_rows
from projector.workspace import Workspace

LISTED = 100  # clusters listed; the rest are counted below the list
RUNNING = "finding clusters"  # how a running job's status line starts


def layout() -> html.Div:
    return html.Div(
        [
            html.H2("Clusters"),
            html.Div(
                "Groups of points found by HDBSCAN and named from a metadata column. They become the "
                "cluster column: colour, label and search by it.",
                className="hint",
            ),
            dcc.RadioItems(
                id=ids.CLUSTER_SOURCE,
                options=[
                    {"label": " on the vectors", "value": "vectors"},
                    {"label": " on the layout on screen", "value": "layout"},
                ],
                value="vectors",
                className="radio",
            ),
            html.Label("Smallest cluster (points; blank = 1 % of the view)", htmlFor=ids.CLUSTER_MIN_SIZE),
            dcc.Input(id=ids.CLUSTER_MIN_SIZE, type="number", step=1, debounce=True),
            html.Label("Name clusters by", htmlFor=ids.CLUSTER_NAME_BY),
            dcc.Dropdown(id=ids.CLUSTER_NAME_BY, placeholder="(numbered)"),
            html.Div(
                [
                    html.Button("Find clusters", id=ids.CLUSTER_RUN),
                    html.Button("Stop", id=ids.CLUSTER_STOP, disabled=True),
                ],
                className="buttons",
            ),
            html.Div(id=ids.CLUSTER_STATUS, className="status"),
            html.Ol(id=ids.CLUSTER_LIST, className="clusters"),
            html.Div(id=ids.CLUSTER_NOISE, className="hint"),
            dcc.Store(id=ids.CLUSTER_STORE),
            dcc.Store(id=ids.CLUSTER_PARAMS),
            dcc.Store(id=ids.CLUSTER_AGAIN),
            dcc.Store(id=ids.GROUP_PICK),
            dcc.Store(id=ids.CLUSTERS_SHOWN),
        ],
        className="panel clusters-panel",
    )


def layout_id(record: dict | None) -> str | None:
    """A name of the drawn projection (its spec and dimension): the cache key part of a run on the layout."""
    if not record:
        return None
    spec = {k: v for k, v in record.items() if k not in ("notes", "tab", "first")}
    return hashlib.blake2b(json.dumps(spec, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()


def cluster_items(found: Groups) -> list[html.Li]:
    """The list: one entry per cluster (its column value, size and share of the view), largest first."""
    total = max(1, int(found.codes.size))
    return [
        html.Li(
            [
                html.Span(value, className="cluster-value"),
                html.Span(f"{size:,}", className="cluster-size"),
                html.Span(f"{100 * size / total:.1f} %", className="cluster-share"),
            ],
            className="cluster pick",
            title=f"Select the {size:,} points of {value}",
            tabIndex="0",
            **{"data-cluster": value},
        )
        for value, size in zip(found.values[:LISTED], found.sizes[:LISTED])
    ]


def shown_groups(data: Dataset, view: View) -> Groups | None:
    """The clusters of the view's points, from the session's cluster column; None when it has none."""
    if COLUMN not in data.metadata.columns:
        return None
    return groups(data.metadata[COLUMN].iloc[visible_rows(view.subset, data.n)].reset_index(drop=True))


def listed(data: Dataset, view: View | None) -> dict:
    """The outputs that show a view's clusters: the list, the noise line and the names' payload."""
    found = shown_groups(data, view) if view is not None else None
    if found is None or not found.names:
        return {"items": [], "noise": "", "store": None}
    more = len(found.names) - LISTED
    notes = [f"{found.noise:,} points as noise"] if found.noise else []
    notes += [f"… and {more:,} more clusters"] if more > 0 else []
    return {
        "items": cluster_items(found),
        "noise": "; ".join(notes),
        "store": cluster_payload(view, found, data.metadata_hash),
    }


def register(app, workspace: Workspace, manager) -> None:
    register_run(app, workspace, manager)

    @answers(
        app,
        {
            "items": Output(ids.CLUSTER_LIST, "children"),
            "noise": Output(ids.CLUSTER_NOISE, "children"),
            "store": Output(ids.CLUSTER_STORE, "data"),
        },
        inputs={"view": Input(ids.VIEW_STORE, "data"), "_edited": Input(ids.METADATA_EDITED, "data")},
        prevent_initial_call=True,
    )
    def show(view, _edited):
        view = View.from_json(view)
        if view is None:
            return {"items": [], "noise": "", "store": None}
        return listed(workspace.view_data(view), view)

    @answers(
        app,
        {"options": Output(ids.CLUSTER_NAME_BY, "options"), "value": Output(ids.CLUSTER_NAME_BY, "value")},
        slot=None,
        inputs={"key": Input(ids.TENSOR_SELECT, "value"), "_edited": Input(ids.METADATA_EDITED, "data")},
        state={"chosen": State(ids.CLUSTER_NAME_BY, "value")},
    )
    def name_by(key, _edited, chosen):
        """Every metadata column but the clusters' own; the one chosen stays, else the colour column."""
        data = opened(workspace, key)
        if data is None:
            return {"options": [], "value": None}
        names = [c for c in data.metadata.columns if c != COLUMN]
        value = chosen if chosen in names else workspace.default_color_column(data)
        value = value if value in names else (names[0] if names else None)
        return {"options": [{"label": c, "value": c} for c in names], "value": value}

    app.clientside_callback(  # a bookmark's clusters are found again once its view is drawn
        ClientsideFunction("clusters", "again"),
        Output(ids.CLUSTER_RUN, "n_clicks"),
        Input(ids.CLUSTER_AGAIN, "data"),
        Input(ids.PROJECTION_STORE, "data"),
        State(ids.CLUSTER_RUN, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("clusters", "show"),
        Output(ids.CLUSTERS_SHOWN, "data"),
        Input(ids.CLUSTER_STORE, "data"),
        Input(ids.LABELS_TOGGLE, "value"),
    )


RUN_OUTPUTS = {
    "status": Output(ids.CLUSTER_STATUS, "children", allow_duplicate=True),
    "edited": Output(ids.METADATA_EDITED, "data", allow_duplicate=True),
    "params": Output(ids.CLUSTER_PARAMS, "data"),
    "banner": Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
}


def register_run(app, workspace: Workspace, manager) -> None:
    """Find clusters: a background job (Stop ends its process; a change of view cancels it)."""

    @app.callback(
        output=RUN_OUTPUTS,
        inputs={"clicks": Input(ids.CLUSTER_RUN, "n_clicks")},
        state={
            "view": State(ids.VIEW_STORE, "data"),
            "spherize": State(ids.SPHERIZE, "value"),
            "source": State(ids.CLUSTER_SOURCE, "value"),
            "min_size": State(ids.CLUSTER_MIN_SIZE, "value"),
            "name_by": State(ids.CLUSTER_NAME_BY, "value"),
            "projection": State(ids.PROJECTION_STORE, "data"),
            "edited": State(ids.METADATA_EDITED, "data"),
        },
        background=True,
        manager=manager,
        progress=[Output(ids.CLUSTER_STATUS, "children")],
        running=[
            (Output(ids.CLUSTER_RUN, "disabled"), True, False),
            (Output(ids.CLUSTER_STOP, "disabled"), False, True),
        ],
        cancel=[Input(ids.CLUSTER_STOP, "n_clicks"), Input(ids.VIEW_STORE, "data")],
        interval=POLL_MS // 2,  # a run of a few thousand points ends within the first poll or two
        prevent_initial_call=True,
    )
    @reports_errors(RUN_OUTPUTS)
    def run(set_progress, clicks, view, spherize, source, min_size, name_by, projection, edited):
        refused = refusal()
        if refused:
            raise JobRefused(refused)
        die_with_parent()
        answer = run_job(
            workspace,
            set_progress,
            view=View.from_json(view),
            spherized=bool(spherize),
            source=source,
            min_size=min_size,
            name_by=name_by,
            projection=projection,
            edited=edited,
            session=requesting_session(),
        )
        return outcome(RUN_OUTPUTS, **answer)

    @answers(
        app,
        {"status": Output(ids.CLUSTER_STATUS, "children", allow_duplicate=True)},
        slot=None,
        inputs={"_clicks": Input(ids.CLUSTER_STOP, "n_clicks")},
        prevent_initial_call=True,
    )
    def stop(_clicks):
        return {"status": "Stopped: no clusters were written."}

    @answers(
        app,
        {"status": Output(ids.CLUSTER_STATUS, "children", allow_duplicate=True)},
        slot=None,
        inputs={"running": Input(ids.CLUSTER_RUN, "disabled")},
        state={"status": State(ids.CLUSTER_STATUS, "children")},
        prevent_initial_call=True,
    )
    def ended(running, status):
        """A job whose process ended without its answer (killed, out of memory, the view changed) says so."""
        if running or not isinstance(status, str) or not status.startswith(RUNNING):
            return {}
        return {"status": "Ended without a result (the view changed, or the job's process was stopped)."}


def run_job(
    workspace: Workspace,
    set_progress,
    *,
    view: View | None,
    spherized: bool,
    source: str,
    min_size,
    name_by: str | None,
    projection: dict | None,
    edited: dict | None,
    session: str | None,
) -> dict:
    """What one run answers: its status line, the edit it announces and its settings."""
    if view is None:
        raise InputError("Open a tensor before finding clusters.")
    if not session:
        raise InputError("This page has no session on the server: reload it, then press Find clusters again.")
    layout = None
    if source == "layout":
        if not projection or projection.get("view") != view.token:
            raise InputError("The layout on screen is not of this view yet: wait for the plot, then run again.")
        data = workspace.view_data(view, session)
        layout = project(workspace, data, view.subset, spherized, projection).coords
    set_progress(f"{RUNNING}…")
    found = run_clusters(
        workspace,
        view,
        session=session,
        spherized=spherized,
        source=source,
        min_size=min_size,
        name_by=name_by or None,
        layout=layout,
        layout_id=layout_id(projection) if source == "layout" else None,
        on_stage=lambda text: set_progress(f"{text}…"),  # "finding clusters of at least …"
    )
    revision = int((edited or {}).get("revision", 0)) + 1
    return {
        "status": found.summary(),
        "edited": {"tensor": view.tensor, "column": COLUMN, "revision": revision, "color": True},
        "params": {"source": source, "min_size": min_size, "name_by": name_by, "view": view.token},
        "banner": banner([]),
    }
