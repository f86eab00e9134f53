"""t-SNE and UMAP as Dash background callbacks: Run, live progress, Stop, shared result cache."""

from __future__ import annotations

import functools
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from dash import Input, Output, State, dcc, html, no_update

from callbacks import ids
from callbacks.common import banner as banner_of
from callbacks.common import reports_errors
from projector import scatter
from projector.errors import InputError
from projector.jobs import LOST_S, JobBoard, JobQueueDown, JobSlots, die_with_parent, pack_layout
from projector.projection import METHOD_NAMES, layout_params
from projector.tsne import tsne
from projector.umap import umap_layout
from projector.view import View
from projector.workspace import Workspace

log = logging.getLogger(__name__)

FRAME_EVERY = 25  # t-SNE iterations between streamed layouts
POLL_MS = 500  # how often the browser asks for the latest frame
UNTAKEN_S = 10  # a job no worker has started after this long is said to wait for one
PING_MS = 2500  # how often a running job's page says it is still open (projector.jobs.ABANDONED_S)

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


def register(app, workspace: Workspace, manager, board: JobBoard, slots: JobSlots) -> None:
    for kind in KINDS:
        register_kind(app, workspace, manager, board, slots, kind)


def queued(ahead: int, slots: JobSlots) -> str:
    if ahead == 0:
        return f"waiting for a free slot: {slots.slots} layouts run at once on this server"
    return f"queued: {ahead} {'layout' if ahead == 1 else 'layouts'} ahead of this one"


def register_kind(app, workspace: Workspace, manager, board: JobBoard, slots: JobSlots, kind: JobKind) -> None:
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
        board.seen(token)
        board.started(token, view.token)
        try:
            with board.heartbeat(token):
                status, done, banner = compute(set_progress, token, view, session, dimension, spherize, form)
        except BaseException:
            board.finished(token, "failed")
            raise
        board.finished(token, "done")
        return status, done, banner

    def compute(set_progress, token, view, session, dimension, spherize, form) -> tuple:
        data = workspace.dataset(view.tensor)
        subset = view.subset
        spherized = bool(spherize)
        n = data.n if subset is None else subset.size
        fields = dict(zip(ids.FORM_FIELDS[kind.method], form))
        params, note = layout_params(kind.method, dimension, n, fields)
        result = workspace.result_key(data, subset, spherized, kind.method, params.as_dict())
        done = {"method": kind.method, "view": view.token, "dimension": params.n_components, "token": token}
        if workspace.results.get_meta(result) is not None:
            return "done (from the shared cache)", {**done, "result": result}, []
        board.claim(session, kind.method, token)  # one job of a kind per browser session: the newest
        stop = functools.partial(board.should_stop, token)
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
        log.info("%s on %s (%d points): %s", METHOD_NAMES[kind.method], view.tensor, len(vectors), text)
        status = f"{note} {text}" if note else text
        try:
            workspace.results.set(result, layout, meta={"status": text, **params.as_dict()})
        except (OSError, sqlite3.Error) as error:  # a full or read-only cache: show the layout all the same
            log.warning("Layout %s not stored: %s", result, error)
            warning = (
                f"The {METHOD_NAMES[kind.method]} layout could not be saved in the server's cache ({error}); it is "
                "shown, but is lost when the server restarts. Free disk space or fix the cache directory."
            )
            held = {**done, "result": result, "layout": pack_layout(layout)}
            return status, held, banner_of([warning], "warning")
        return status, {**done, "result": result}, []

    @app.callback(
        Output(kind.status, "children", allow_duplicate=True),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(kind.ping, "n_intervals"),
        Input(kind.ping, "disabled"),
        State(kind.token, "data"),
        State(ids.VIEW_STORE, "data"),
        prevent_initial_call=True,
    )
    @reports_errors(2)
    def watch(_ticks, ended, token, view):
        """While a job runs: say its page is open, and tell when it died without a word (its process
        killed, its Celery worker or Redis gone)."""
        if not token:
            return no_update, no_update
        try:
            if not ended:
                board.seen(token)
            state = board.state(token)
        except JobQueueDown as error:
            return f"lost: {error}", banner_of([str(error)])
        if state["finished"]:
            return no_update, no_update
        name = METHOD_NAMES[kind.method]
        if ended:  # the job's poll loop ended without its answer
            shown = View.from_json(view)
            if state["started"] and shown is not None and state["started"]["view"] != shown.token:
                return "stopped: the view changed", no_update
            if not state["started"]:
                return no_update, no_update
            message = (
                f"The {name} job ended without a result: its process was killed (out of memory?). "
                "Press Run to try again, perhaps on fewer points."
            )
            return f"failed: {message}", banner_of([message])
        silent = state["silent_s"]
        if not state["started"] and time.time() - board.waiting_since(token) > UNTAKEN_S:
            return "waiting: no worker has taken this job yet (all busy, or none running)", no_update
        if silent is not None and silent > LOST_S:
            message = (
                f"The {name} job has not answered for {silent:.0f} s: the process or Celery worker running it "
                "is gone. Press Run to try again."
            )
            return f"lost: {message}", banner_of([message])
        return no_update, no_update

    @app.callback(
        Output(kind.status, "children", allow_duplicate=True),
        Input(kind.stop, "n_clicks"),
        State(kind.token, "data"),
        prevent_initial_call=True,
    )
    def stop(_clicks, token):
        if token:
            board.request(token)
        return "stopping at the next frame…"
