"""t-SNE and UMAP as Dash background callbacks: Run, live progress, Stop, shared result cache."""

from __future__ import annotations

import collections
import functools
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
from dash import DiskcacheManager, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException

from callbacks import ids, session
from callbacks.common import banner as banner_of
from callbacks.common import reports_errors
from projector import scatter
from projector.dataset import Dataset
from projector.errors import InputError, ProjectorError, without_paths
from projector.jobs import (
    LOST_S,
    JobAdmission,
    JobBoard,
    JobLogs,
    JobQueueDown,
    JobRefused,
    JobSlots,
    death_cause,
    die_with_parent,
    pack_layout,
)
from projector.projection import METHOD_NAMES, layout_key, layout_params, points_key, stopped_layout
from projector.tsne import perturb, supervise_labels, tsne
from projector.umap import umap_layout
from projector.view import View
from projector.workspace import Workspace

log = logging.getLogger(__name__)

FRAME_EVERY = 25  # t-SNE iterations between streamed layouts
POLL_MS = 500  # how often the browser asks for the latest frame
UNTAKEN_S = 10  # a job no worker has started after this long is said to wait for one
MAX_COOKIE = 200  # characters of a session cookie (a signed 32-hex id is about 70)
PING_MS = 2500  # how often a running job's page says it is still open (projector.jobs.ABANDONED_S)

NEW_TOKEN_JS = """
function(n) {
    if (!n) { return window.dash_clientside.no_update; }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}
"""

# t-SNE's token also says what the job continues from: Resume and Perturb (when no job runs) continue the
# stopped layout drawn; Perturb while a job runs goes to that job instead (callbacks below).
TSNE_TOKEN_JS = """
function(run, resume, perturb, running, drawn) {
    const skip = window.dash_clientside.no_update;
    const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
    if (!trigger.endsWith(".n_clicks")) { return [skip, skip]; }
    const token = Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
    if (trigger.startsWith("%(run)s.")) { return [token, null]; }
    if (running || !drawn || !drawn.result) { return [skip, skip]; }
    const perturbing = trigger.startsWith("%(perturb)s.");
    return [token, {token: token, from: drawn.result, view: drawn.view, perturb: perturbing}];
}
""" % {"run": ids.TSNE_RUN, "perturb": ids.TSNE_PERTURB}


class TrackedDiskcacheManager(DiskcacheManager):
    """Dash's ``DiskcacheManager`` that admits a job before forking its process (``admission``; a refused
    job answers at once, in the request, with the reason as its banner) and keeps its job processes, so
    that the server can tell how one ended (its exit status or signal) after Dash has seen it end."""

    KEEP = 256  # processes remembered, newest last
    REFUSED = -1  # the job id of a job that was answered without a process

    def __init__(self, *args: Any, admission: JobAdmission | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admission = admission
        self._processes: collections.OrderedDict[int, Any] = collections.OrderedDict()
        self._owners: dict[int, str | None] = {}
        self._lock = threading.Lock()

    def call_job_fn(self, key, job_fn, args, context):
        from multiprocess import active_children  # the process library Dash starts its jobs with

        owner = session.current()
        with self._lock:  # admitted and forked in one step: requests at the same moment cannot all pass
            live = [pid for pid, process in self._processes.items() if process.is_alive()]
            mine = sum(self._owners.get(pid) == owner for pid in live)
            refusal = self.admission.refusal(len(live), mine) if self.admission else None
            if refusal is None:
                pid = super().call_job_fn(key, job_fn, args, context)
                process = next((p for p in active_children() if p.pid == pid), None)  # None: it ended already
                if process is not None:
                    self._processes[pid] = process
                    self._owners[pid] = owner
                while len(self._processes) > self.KEEP:
                    self._owners.pop(self._processes.popitem(last=False)[0], None)
                return pid
        _REFUSAL.text = refusal
        try:
            job_fn(key, self._make_progress_key(key), args, context)  # raises JobRefused at once: its banner
        finally:
            _REFUSAL.text = None
        return self.REFUSED

    def job_running(self, job):
        return False if int(job) == self.REFUSED else super().job_running(job)

    def terminate_job(self, job):
        if job is not None and int(job) != self.REFUSED:
            super().terminate_job(job)

    def exit_code(self, pid: Any, wait_s: float = 1.0) -> int | None:
        """The exit code of job process ``pid`` (negative: the signal), or None if it is not one of ours."""
        with self._lock:
            process = self._processes.get(pid) if isinstance(pid, int) else None
        if process is None:
            return None
        process.join(wait_s)  # Dash saw it end: its status is there or about to be
        return process.exitcode


_REFUSAL = threading.local()  # why the job being answered in this thread was refused a process


def refusal() -> str | None:
    """In a job: why it was refused a process (it then runs in the request that asked for it), else None."""
    return getattr(_REFUSAL, "text", None)


def exit_code_of(manager, pid: Any) -> int | None:
    """A job process's exit code where the manager knows it (local processes; not Celery's workers)."""
    return manager.exit_code(pid) if isinstance(manager, TrackedDiskcacheManager) else None


@dataclass
class Report:
    """What a running job tells the browser: a status line and, for t-SNE, the layout so far."""

    set_progress: Callable
    view: View
    stop: Callable[[], bool]
    total: int | None  # None: until stopped
    streams: bool  # whether the progress outputs start with the layout frames
    nudged: Callable[[], bool] = field(default=lambda: False)  # whether to perturb the layout now

    def counted(self, iteration: int) -> str:
        return f"iteration {iteration}" + (f" of {self.total}" if self.total is not None else " (until Stop)")

    def frame(self, iteration: int, layout: np.ndarray) -> bool:
        """Send one t-SNE layout (the browser draws it with the view's colours and labels)."""
        titles = [f"t-SNE {i + 1}" for i in range(layout.shape[1])]
        payload = scatter.frame_payload(self.view, layout, titles, "tsne", iteration)
        self.set_progress((payload, self.counted(iteration)))
        return self.stop()

    def stage(self, text: str, done: int, total: int) -> bool:
        """Send a status line only."""
        status = f"{text}: {done} of {total}" if total > 1 else text
        self.set_progress((None, status) if self.streams else (status,))
        return self.stop()


def run_tsne(vectors: np.ndarray, params, report: Report, **inputs) -> tuple[np.ndarray, str, bool, dict]:
    """Run t-SNE (``inputs``: the labels of a supervised run, the Start of a continued one)."""
    report.total = params.total
    start = inputs.get("start")
    report.stage(
        "finding neighbours and affinities" + (f" to go on from iteration {start.iteration}" if start else ""), 0, 1
    )
    layout, reached = tsne(
        vectors, params, on_frame=report.frame, frame_every=FRAME_EVERY, nudge=report.nudged, **inputs
    )
    stopped = params.total is None or reached < params.total
    of = "" if params.total is None else f" of {params.total}"
    text = f"iteration {reached}{of}: {'stopped' if stopped else 'done'}"
    early = start.early_exaggeration_iter if start and start.early_exaggeration_iter is not None else None
    early = params.early_exaggeration_iter if early is None else early  # the phase a continuation goes on from
    return layout, text, stopped, {"iteration": reached, "stopped": stopped, "early_exaggeration_iter": early}


def tsne_inputs(workspace: Workspace, data: Dataset, subset, spherized: bool, params, start: dict | None):
    """A t-SNE job's inputs beyond its vectors and the result key's extras: the labels of a supervised run;
    for a continued run (``start`` from the page) the stopped layout it goes on from, perturbed if asked."""
    inputs: dict[str, Any] = {}
    if params.supervised:
        inputs["labels"] = supervise_labels(data.metadata, params.supervise_column, subset)
    if not start:
        return inputs, {}
    begin = stopped_layout(workspace, data, subset, spherized, start.get("from"), params)
    if begin is None:
        raise InputError(
            "The t-SNE layout to continue is no longer cached, was made with other settings than those chosen "
            "now, or has already run the iterations asked for: press Run, or ask for more iterations."
        )
    if start.get("perturb"):
        begin = replace(begin, layout=perturb(begin.layout))
    inputs["start"] = begin
    return inputs, {"continued": start["token"]}  # never served as the layout of a run from scratch


def umap_inputs(workspace: Workspace, data: Dataset, subset, spherized: bool, params, start: dict | None):
    """A UMAP job needs nothing beyond its vectors and parameters."""
    return {}, {}


def run_umap(vectors: np.ndarray, params, report: Report) -> tuple[np.ndarray, str, bool, dict]:
    stopped = {"flag": False}

    def progress(text: str, done: int, total: int) -> bool:
        stopped["flag"] = report.stage(text, done, total)
        return stopped["flag"]

    layout = umap_layout(vectors, params, on_progress=progress)
    return layout, "stopped" if stopped["flag"] else "done", stopped["flag"], {}


@dataclass
class JobKind:
    method: str
    run: str
    stop: str
    status: str
    token: str
    ping: str
    execute: Callable  # (vectors, params, report, **inputs) -> (layout, status text, stopped, meta)
    inputs: Callable  # (workspace, data, subset, spherized, params, start) -> (inputs, result-key extras)
    streams_layout: bool
    start: str | None = None  # the store saying what a job continues from, for kinds that can


KINDS = [
    JobKind(
        "tsne",
        ids.TSNE_RUN,
        ids.TSNE_STOP,
        ids.TSNE_STATUS,
        ids.TSNE_TOKEN,
        ids.TSNE_PING,
        run_tsne,
        tsne_inputs,
        True,
        ids.TSNE_START,
    ),
    JobKind(
        "umap",
        ids.UMAP_RUN,
        ids.UMAP_STOP,
        ids.UMAP_STATUS,
        ids.UMAP_TOKEN,
        ids.UMAP_PING,
        run_umap,
        umap_inputs,
        False,
    ),
]


def layout() -> html.Div:
    """The jobs' tokens and the timers that tell the server a running job's page is still open."""
    return html.Div(
        [dcc.Store(id=kind.token) for kind in KINDS]
        + [dcc.Store(id=kind.start) for kind in KINDS if kind.start]
        + [dcc.Interval(id=kind.ping, interval=PING_MS, disabled=True) for kind in KINDS]
    )


def register(app, workspace: Workspace, manager, board: JobBoard, slots: JobSlots, logs: JobLogs) -> None:
    for kind in KINDS:
        register_kind(app, workspace, manager, board, slots, logs, kind)
    register_tsne_continue(app, workspace, board)


def register_tsne_continue(app, workspace: Workspace, board: JobBoard) -> None:
    """Resume and Perturb: enabled when they have a layout to work on; Perturb while a job runs tells it."""
    app.clientside_callback(
        TSNE_TOKEN_JS,
        Output(ids.TSNE_TOKEN, "data"),
        Output(ids.TSNE_START, "data"),
        Input(ids.TSNE_RUN, "n_clicks"),
        Input(ids.TSNE_RESUME, "n_clicks"),
        Input(ids.TSNE_PERTURB, "n_clicks"),
        State(ids.TSNE_RUN, "disabled"),
        State(ids.PROJECTION_STORE, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.TSNE_RESUME, "disabled"),
        Output(ids.TSNE_PERTURB, "disabled"),
        Input(ids.PROJECTION_STORE, "data"),
        Input(ids.TSNE_RUN, "disabled"),
        Input(ids.DIMENSION, "value"),
        *[Input(f, "value") for f in ids.FORM_FIELDS["tsne"].values()],
        State(ids.VIEW_STORE, "data"),
        State(ids.SPHERIZE, "value"),
    )
    def enable(drawn, running, dimension, *rest):
        *form, view, spherize = rest
        if running:
            return True, False
        view = View.from_json(view)
        if view is None or not drawn or drawn.get("method") != "tsne" or drawn.get("view") != scatter.view_token(view):
            return True, True
        data = workspace.dataset(view.tensor)
        n = data.n if view.subset is None else view.subset.size
        try:
            params, _ = layout_params("tsne", dimension, n, dict(zip(ids.FORM_FIELDS["tsne"], form)))
        except (ProjectorError, ValueError):
            return True, True
        stopped = stopped_layout(workspace, data, view.subset, bool(spherize), drawn.get("result"), params)
        return stopped is None, stopped is None

    @app.callback(
        Output(ids.TSNE_STATUS, "children", allow_duplicate=True),
        Input(ids.TSNE_PERTURB, "n_clicks"),
        State(ids.TSNE_RUN, "disabled"),
        State(ids.TSNE_TOKEN, "data"),
        prevent_initial_call=True,
    )
    def nudge(_clicks, running, token):
        if not running or not token:
            return no_update  # no job runs: the click starts one from the perturbed layout
        board.nudge(token)
        return "perturbing at the next frame…"


def requesting_session() -> str | None:
    """In a job: the session cookie of the request that started it (its cookies travel with the job).

    Not verified again here: a Celery worker on another machine holds no web server's secret. The value
    names a session only as the exact signed text the server sent that browser (an HttpOnly cookie), so a
    page cannot claim, or replace, another session's jobs without that browser's cookie.
    """
    try:
        value = ctx.cookies.get(session.COOKIE)
    except (LookupError, MissingCallbackContextException, AttributeError):
        return None
    return value if isinstance(value, str) and 0 < len(value) <= MAX_COOKIE else None


def queued(ahead: int, slots: JobSlots) -> str:
    if ahead == 0:
        return f"waiting for a free slot: {slots.slots} layouts run at once on this server"
    return f"queued: {ahead} {'layout' if ahead == 1 else 'layouts'} ahead of this one"


def register_kind(
    app, workspace: Workspace, manager, board: JobBoard, slots: JobSlots, logs: JobLogs, kind: JobKind
) -> None:
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
        State(ids.DIMENSION, "value"),
        State(ids.SPHERIZE, "value"),
        *[State(f, "value") for f in ids.FORM_FIELDS[kind.method].values()],
        *([State(kind.start, "data")] if kind.start else []),
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
    def run(set_progress, token, view, dimension, spherize, *form):
        refused = refusal()
        if refused:
            raise JobRefused(refused)
        start = form[-1] if kind.start else None
        form = form[:-1] if kind.start else form
        die_with_parent()
        view = View.from_json(view)
        if view is None:
            raise InputError("Open a tensor before running a layout.")
        owner = requesting_session()  # the signed cookie of the request that started the job, not a page value
        if not isinstance(token, str) or not 0 < len(token) <= 64 or not owner:
            raise InputError("This page has no session on the server: reload it, then press Run again.")
        if isinstance(manager, TrackedDiskcacheManager):
            logs.capture(token)  # (a Celery worker's stderr stays on its own machine)
        board.seen(token)
        board.started(token, view.token)
        try:
            with board.heartbeat(token):
                status, done, banner = compute(set_progress, token, view, owner, dimension, spherize, form, start)
        except BaseException:
            board.finished(token, "failed")
            raise
        finally:
            logs.discard(token)  # the job ended and said how: its stderr is not needed for a message
        board.finished(token, "done")
        return status, done, banner

    def compute(set_progress, token, view, owner, dimension, spherize, form, start) -> tuple:
        data = workspace.dataset(view.tensor)
        subset = view.subset
        spherized = bool(spherize)
        n = data.n if subset is None else subset.size
        fields = dict(zip(ids.FORM_FIELDS[kind.method], form))
        params, note = layout_params(kind.method, dimension, n, fields)
        if start and (start.get("token") != token or start.get("view") != scatter.view_token(view)):
            start = None  # a record from an earlier click, or of another view
        inputs, extra = kind.inputs(workspace, data, subset, spherized, params, start)
        result = layout_key(workspace, data, subset, spherized, kind.method, params, **extra)
        done = {"method": kind.method, "view": view.token, "dimension": params.n_components, "token": token}
        if workspace.results.get_meta(result) is not None:
            return "done (from the shared cache)", {**done, "result": result}, []
        board.claim(owner, kind.method, token)  # one job of a kind per browser session: the newest
        stop = functools.partial(board.should_stop, token)
        nudged = functools.partial(board.nudged, token)
        report = Report(set_progress, view, stop, total=0, streams=kind.streams_layout, nudged=nudged)

        def waiting(ahead: int) -> bool:
            return report.stage(queued(ahead, slots), 0, 1)

        with slots.slot(token, waiting) as running:
            if not running:
                return "stopped while queued", no_update, []
            vectors = workspace.vectors(data, subset, spherized)
            if note:
                report.stage(note, 0, 1)
            layout, text, stopped, facts = kind.execute(vectors, params, report, **inputs)
        if stopped:  # a partial layout is kept for this view but never served as the finished one
            result = layout_key(workspace, data, subset, spherized, kind.method, params, **extra, stopped=token)
        log.info("%s on %s (%d points): %s", METHOD_NAMES[kind.method], view.tensor, len(vectors), text)
        status = f"{note} {text}" if note else text
        meta = {"status": text, **params.as_dict(), **facts, "points": points_key(workspace, data, subset, spherized)}
        try:
            workspace.results.set(result, layout, meta=meta)
        except (OSError, sqlite3.Error) as error:  # a full or read-only cache: show the layout all the same
            log.warning("Layout %s not stored: %s", result, error)
            warning = (
                f"The {METHOD_NAMES[kind.method]} layout could not be saved in the server's cache "
                f"({without_paths(str(error))}); it is "
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
            if not state["started"] or shown is None or state["started"]["view"] != shown.token:
                return no_update, no_update  # cancelled by a change of view, whose drawing says where it stands
            cause = death_cause(
                exit_code_of(manager, state["started"].get("pid")),
                logs.last_line(token),
                state["started"].get("oom_kills"),
            )
            logs.discard(token)
            log.warning("%s job %s ended without a result: its process %s", name, token, cause.text)
            fewer = ", perhaps on fewer points" if cause.out_of_memory else ""
            message = f"The {name} job ended without a result: its process {cause.text}. Press Run to try again{fewer}."
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
