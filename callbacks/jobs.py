"""t-SNE and UMAP as Dash background callbacks: Run, live progress, Stop, shared result cache."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np
from dash import Input, Output, State, dcc, html, no_update

from callbacks import ids
from callbacks.common import reports_errors
from projector import scatter
from projector.errors import InputError
from projector.jobs import JobSlots, StopFlags, die_with_parent
from projector.projection import METHOD_NAMES, layout_params
from projector.tsne import tsne
from projector.umap import umap_layout
from projector.view import View
from projector.workspace import Workspace

log = logging.getLogger(__name__)

FRAME_EVERY = 25  # t-SNE iterations between streamed layouts
POLL_MS = 500  # how often the browser asks for the latest frame
PING_MS = 5000  # how often a running job's page says it is still open (projector.jobs.ABANDONED_S)

NEW_TOKEN_JS = """
function(n) {
    if (!n) { return window.dash_clientside.no_update; }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}
"""


@dataclass
class Report:
    """What a running job tells the browser: a status line and, for t-SNE, the layout so far."""

    set_progress: Callable
    view: View
    stop: Callable[[], bool]
    total: int
    streams: bool  # whether the progress outputs start with the layout frames

    def frame(self, iteration: int, layout: np.ndarray) -> bool:
        """Send one t-SNE layout (the browser draws it with the view's colours and labels)."""
        titles = [f"t-SNE {i + 1}" for i in range(layout.shape[1])]
        payload = scatter.frame_payload(self.view, layout, titles, "tsne", iteration)
        self.set_progress((payload, f"iteration {iteration} of {self.total}"))
        return self.stop()

    def stage(self, text: str, done: int, total: int) -> bool:
        """Send a status line only."""
        status = f"{text}: {done} of {total}" if total > 1 else text
        self.set_progress((None, status) if self.streams else (status,))
        return self.stop()


def run_tsne(vectors: np.ndarray, params, report: Report) -> tuple[np.ndarray, str, bool]:
    total = params.early_exaggeration_iter + params.n_iter
    report.total = total
    report.stage("finding neighbours and affinities", 0, 1)
    layout, reached = tsne(vectors, params, on_frame=report.frame, frame_every=FRAME_EVERY)
    stopped = reached < total
    text = f"iteration {reached} of {total}: stopped" if stopped else f"iteration {reached} of {total}: done"
    return layout, text, stopped


def run_umap(vectors: np.ndarray, params, report: Report) -> tuple[np.ndarray, str, bool]:
    stopped = {"flag": False}

    def progress(text: str, done: int, total: int) -> bool:
        stopped["flag"] = report.stage(text, done, total)
        return stopped["flag"]

    layout = umap_layout(vectors, params, on_progress=progress)
    return layout, "stopped" if stopped["flag"] else "done", stopped["flag"]


@dataclass
class JobKind:
    method: str
    run: str
    stop: str
    status: str
    token: str
    ping: str
    execute: Callable  # (vectors, params, report) -> (layout, status text, stopped)
    streams_layout: bool


KINDS = [
    JobKind("tsne", ids.TSNE_RUN, ids.TSNE_STOP, ids.TSNE_STATUS, ids.TSNE_TOKEN, ids.TSNE_PING, run_tsne, True),
    JobKind("umap", ids.UMAP_RUN, ids.UMAP_STOP, ids.UMAP_STATUS, ids.UMAP_TOKEN, ids.UMAP_PING, run_umap, False),
]


def layout() -> html.Div:
    """The jobs' tokens and the timers that tell the server a running job's page is still open."""
    return html.Div(
        [dcc.Store(id=kind.token) for kind in KINDS]
        + [dcc.Interval(id=kind.ping, interval=PING_MS, disabled=True) for kind in KINDS]
    )


def register(app, workspace: Workspace, manager, flags: StopFlags, slots: JobSlots) -> None:
    for kind in KINDS:
        register_kind(app, workspace, manager, flags, slots, kind)


def queued(ahead: int, slots: JobSlots) -> str:
    if ahead == 0:
        return f"waiting for a free slot: {slots.slots} layouts run at once on this server"
    return f"queued: {ahead} {'layout' if ahead == 1 else 'layouts'} ahead of this one"


def register_kind(app, workspace: Workspace, manager, flags: StopFlags, slots: JobSlots, kind: JobKind) -> None:
    app.clientside_callback(
        NEW_TOKEN_JS, Output(kind.token, "data"), Input(kind.run, "n_clicks"), prevent_initial_call=True
    )

    progress = (
        [Output(ids.FRAME_STORE, "data"), Output(kind.status, "children")]
        if kind.streams_layout
        else [Output(kind.status, "children")]
    )

    @app.callback(
        Output(kind.status, "children", allow_duplicate=True),
        Output(ids.PROJECTION_DONE, "data", allow_duplicate=True),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(kind.token, "data"),
        State(ids.VIEW_STORE, "data"),
        State(ids.SESSION, "data"),
        State(ids.DIMENSION, "value"),
        State(ids.SPHERIZE, "value"),
        *[State(f, "value") for f in ids.FORM_FIELDS[kind.method].values()],
        background=True,
        manager=manager,
        progress=progress,
        running=[
            (Output(kind.run, "disabled"), True, False),
            (Output(kind.stop, "disabled"), False, True),
            (Output(kind.ping, "disabled"), False, True),
        ],
        cancel=[Input(ids.VIEW_STORE, "data")],
        interval=POLL_MS,
        prevent_initial_call=True,
    )
    @reports_errors(3)
    def run(set_progress, token, view, session, dimension, spherize, *form):
        die_with_parent()
        view = View.from_json(view)
        if view is None:
            raise InputError("Open a tensor before running a layout.")
        if not token or not session:
            raise InputError("This page has no session on the server: reload it, then press Run again.")
        flags.seen(token)
        key = view.tensor
        data = workspace.dataset(key)
        subset = view.subset
        spherized = bool(spherize)
        n = data.n if subset is None else subset.size
        fields = dict(zip(ids.FORM_FIELDS[kind.method], form))
        params, note = layout_params(kind.method, dimension, n, fields)
        result = workspace.result_key(data, subset, spherized, kind.method, params.as_dict())
        done = {"method": kind.method, "view": view.token, "dimension": params.n_components, "token": token}
        if workspace.results.get_meta(result) is not None:
            return "done (from the shared cache)", {**done, "result": result}, []
        flags.claim(session, kind.method, token)  # one job of a kind per browser session: the newest
        stop = functools.partial(flags.should_stop, token)
        report = Report(set_progress, view, stop, total=0, streams=kind.streams_layout)

        def waiting(ahead: int) -> bool:
            return report.stage(queued(ahead, slots), 0, 1)

        with slots.slot(token, waiting) as running:
            if not running:
                return "stopped while queued", no_update, []
            vectors = workspace.vectors(data, subset, spherized)
            if note:
                report.stage(note, 0, 1)
            layout, text, stopped = kind.execute(vectors, params, report)
        if stopped:  # a partial layout is kept for this view but never served as the finished one
            result = workspace.result_key(data, subset, spherized, kind.method, {**params.as_dict(), "stopped": token})
        workspace.results.set(result, layout, meta={"status": text, **params.as_dict()})
        log.info("%s on %s (%d points): %s", METHOD_NAMES[kind.method], key, len(vectors), text)
        return (f"{note} {text}" if note else text), {**done, "result": result}, []

    @app.callback(Input(kind.ping, "n_intervals"), State(kind.token, "data"), prevent_initial_call=True)
    def still_open(_ticks, token):
        """The page of a running job is open: keep the job."""
        if token:
            flags.seen(token)

    @app.callback(
        Output(kind.status, "children", allow_duplicate=True),
        Input(kind.stop, "n_clicks"),
        State(kind.token, "data"),
        prevent_initial_call=True,
    )
    def stop(_clicks, token):
        if token:
            flags.request(token)
        return "stopping at the next frame…"
