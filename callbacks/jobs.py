"""t-SNE and UMAP as Dash background callbacks (Diskcache or Celery): Run, live progress, Stop, Perturb and the
watch on a job that died; what a job does is :func:`projector.layout_job.run_layout_job`."""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from dash import DiskcacheManager, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException

from callbacks import ids, session
from callbacks.common import banner as banner_of
from callbacks.common import outcome, reports_errors
from projector import scatter
from projector.errors import InputError, ProjectorError
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
)
from projector.layout_job import run_layout_job
from projector.projection import METHOD_NAMES, layout_params, stopped_layout
from projector.view import View
from projector.workspace import Workspace

log = logging.getLogger(__name__)

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
    """The Dash side of :class:`projector.layout_job.Reporter`: a job's status line and, for t-SNE, the
    layout so far, sent to the browser through the background callback's ``set_progress``. It never asks
    to stop: the page's Stop reaches the job through the job board."""

    set_progress: Callable
    view: View
    streams: bool  # whether the progress outputs start with the layout frames

    def frame(self, iteration: int, layout: np.ndarray, status: str) -> bool:
        """Send one t-SNE layout (the browser draws it with the view's colours and labels)."""
        titles = [f"t-SNE {i + 1}" for i in range(layout.shape[1])]
        self.set_progress((scatter.frame_payload(self.view, layout, titles, "tsne", iteration), status))
        return False

    def stage(self, text: str, done: int, total: int) -> bool:
        """Send a status line only."""
        status = f"{text}: {done} of {total}" if total > 1 else text
        self.set_progress((None, status) if self.streams else (status,))
        return False


@dataclass(frozen=True, kw_only=True)
class JobKind:
    """A layout method's components: its buttons, status line, job token and the timer saying its page is open."""

    method: str
    run: str
    stop: str
    status: str
    token: str
    ping: str
    streams_layout: bool  # t-SNE streams its layout while it runs
    start: str | None = None  # the store saying what a job continues from, for kinds that can


KINDS = [
    JobKind(
        method="tsne",
        run=ids.TSNE_RUN,
        stop=ids.TSNE_STOP,
        status=ids.TSNE_STATUS,
        token=ids.TSNE_TOKEN,
        ping=ids.TSNE_PING,
        streams_layout=True,
        start=ids.TSNE_START,
    ),
    JobKind(
        method="umap",
        run=ids.UMAP_RUN,
        stop=ids.UMAP_STOP,
        status=ids.UMAP_STATUS,
        token=ids.UMAP_TOKEN,
        ping=ids.UMAP_PING,
        streams_layout=False,
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
        output={"resume": Output(ids.TSNE_RESUME, "disabled"), "perturb": Output(ids.TSNE_PERTURB, "disabled")},
        inputs={
            "drawn": Input(ids.PROJECTION_STORE, "data"),
            "running": Input(ids.TSNE_RUN, "disabled"),
            "dimension": Input(ids.DIMENSION, "value"),
            "form": {name: Input(f, "value") for name, f in ids.FORM_FIELDS["tsne"].items()},
        },
        state={"view": State(ids.VIEW_STORE, "data"), "spherize": State(ids.SPHERIZE, "value")},
    )
    def enable(drawn, running, dimension, form, view, spherize):
        if running:
            return {"resume": True, "perturb": False}
        stopped = resumable(workspace, View.from_json(view), drawn, dimension, form, bool(spherize))
        return {"resume": stopped is None, "perturb": stopped is None}

    @app.callback(
        output={"status": Output(ids.TSNE_STATUS, "children", allow_duplicate=True)},
        inputs={"clicks": Input(ids.TSNE_PERTURB, "n_clicks")},
        state={"running": State(ids.TSNE_RUN, "disabled"), "token": State(ids.TSNE_TOKEN, "data")},
        prevent_initial_call=True,
    )
    def nudge(clicks, running, token):
        if not running or not token:
            return {"status": no_update}  # no job runs: the click starts one from the perturbed layout
        board.nudge(token)
        return {"status": "perturbing at the next frame…"}


def resumable(workspace: Workspace, view: View | None, drawn, dimension, form: dict, spherized: bool):
    """The stopped t-SNE layout drawn on ``view`` that a run of ``form``'s settings can go on from, or None."""
    if view is None or not drawn or drawn.get("method") != "tsne" or drawn.get("view") != scatter.view_token(view):
        return None
    data = workspace.view_data(view)
    n = data.n if view.subset is None else view.subset.size
    try:
        params, _ = layout_params("tsne", dimension, n, form)
    except (ProjectorError, ValueError):
        return None
    return stopped_layout(workspace, data, view.subset, spherized, drawn.get("result"), params)


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


def register_kind(
    app, workspace: Workspace, manager, board: JobBoard, slots: JobSlots, logs: JobLogs, kind: JobKind
) -> None:
    app.clientside_callback(
        NEW_TOKEN_JS, Output(kind.token, "data"), Input(kind.run, "n_clicks"), prevent_initial_call=True
    )
    register_run(app, workspace, manager, board, slots, logs, kind)
    register_watch(app, manager, board, logs, kind)

    @app.callback(
        output={"status": Output(kind.status, "children", allow_duplicate=True)},
        inputs={"clicks": Input(kind.stop, "n_clicks")},
        state={"token": State(kind.token, "data")},
        prevent_initial_call=True,
    )
    def stop(clicks, token):
        if token:
            board.request(token)
        return {"status": "stopping at the next frame…"}


def register_run(
    app, workspace: Workspace, manager, board: JobBoard, slots: JobSlots, logs: JobLogs, kind: JobKind
) -> None:
    """Run: the background callback that hands the job to :func:`projector.layout_job.run_layout_job`."""
    outputs = {
        "status": Output(kind.status, "children", allow_duplicate=True),
        "done": Output(ids.PROJECTION_DONE, "data", allow_duplicate=True),
        "banner": Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
    }
    progress = [Output(ids.FRAME_STORE, "data")] if kind.streams_layout else []
    state = {
        "view": State(ids.VIEW_STORE, "data"),
        "dimension": State(ids.DIMENSION, "value"),
        "spherize": State(ids.SPHERIZE, "value"),
        "form": {name: State(f, "value") for name, f in ids.FORM_FIELDS[kind.method].items()},
    }
    if kind.start:  # the continued layout; a kind without a start store runs from scratch (start=None)
        state["start"] = State(kind.start, "data")

    @app.callback(
        output=outputs,
        inputs={"token": Input(kind.token, "data")},
        state=state,
        background=True,
        manager=manager,
        progress=[*progress, Output(kind.status, "children")],
        running=[
            (Output(kind.run, "disabled"), True, False),
            (Output(kind.stop, "disabled"), False, True),
            (Output(kind.ping, "disabled"), False, True),
        ],
        cancel=[Input(ids.VIEW_STORE, "data")],
        interval=POLL_MS,
        prevent_initial_call=True,
    )
    @reports_errors(outputs)
    def run(set_progress, token, view, dimension, spherize, form, start=None):
        refused = refusal()
        if refused:
            raise JobRefused(refused)
        die_with_parent()
        view = View.from_json(view)
        if view is None:
            raise InputError("Open a tensor before running a layout.")
        owner = requesting_session()  # the signed cookie of the request that started the job, not a page value
        if not isinstance(token, str) or not 0 < len(token) <= 64 or not owner:
            raise InputError("This page has no session on the server: reload it, then press Run again.")
        if isinstance(manager, TrackedDiskcacheManager):
            logs.capture(token)  # (a Celery worker's stderr stays on its own machine)
        try:
            ended = run_layout_job(
                workspace=workspace,
                board=board,
                slots=slots,
                reporter=Report(set_progress, view, streams=kind.streams_layout),
                method=kind.method,
                token=token,
                session=owner,
                view=view,
                dimension=dimension,
                spherized=bool(spherize),
                form=form,
                start=start,
            )
        finally:
            logs.discard(token)  # the job ended and said how: its stderr is not needed for a message
        done = no_update if ended.done is None else ended.done
        return outcome(outputs, status=ended.status, done=done, banner=banner_of(ended.messages, ended.level))


def register_watch(app, manager, board: JobBoard, logs: JobLogs, kind: JobKind) -> None:
    """While a job runs: say its page is open, and tell when it died without a word (its process killed, its
    Celery worker or Redis gone)."""
    outputs = {
        "status": Output(kind.status, "children", allow_duplicate=True),
        "banner": Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
    }
    name = METHOD_NAMES[kind.method]

    @app.callback(
        output=outputs,
        inputs={"ticks": Input(kind.ping, "n_intervals"), "ended": Input(kind.ping, "disabled")},
        state={"token": State(kind.token, "data"), "view": State(ids.VIEW_STORE, "data")},
        prevent_initial_call=True,
    )
    @reports_errors(outputs)
    def watch(ticks, ended, token, view):
        if not token:
            return outcome(outputs)
        try:
            if not ended:
                board.seen(token)
            state = board.state(token)
        except JobQueueDown as error:
            return outcome(outputs, status=f"lost: {error}", banner=banner_of([str(error)]))
        if state["finished"]:
            return outcome(outputs)
        if ended:  # the job's poll loop ended without its answer
            message = died(manager, logs, name, token, state, View.from_json(view))
            if message is None:
                return outcome(outputs)  # cancelled by a change of view, whose drawing says where it stands
            return outcome(outputs, status=f"failed: {message}", banner=banner_of([message]))
        silent = state["silent_s"]
        if not state["started"] and time.time() - board.waiting_since(token) > UNTAKEN_S:
            return outcome(outputs, status="waiting: no worker has taken this job yet (all busy, or none running)")
        if silent is not None and silent > LOST_S:
            message = (
                f"The {name} job has not answered for {silent:.0f} s: the process or Celery worker running it "
                "is gone. Press Run to try again."
            )
            return outcome(outputs, status=f"lost: {message}", banner=banner_of([message]))
        return outcome(outputs)


def died(manager, logs: JobLogs, name: str, token: str, state: dict, shown: View | None) -> str | None:
    """What to say of a job whose poll loop ended without its answer: what its process died of; None when it
    was cancelled by a change of view (it had not started, or ran on another view)."""
    if not state["started"] or shown is None or state["started"]["view"] != shown.token:
        return None
    cause = death_cause(
        exit_code_of(manager, state["started"].get("pid")), logs.last_line(token), state["started"].get("oom_kills")
    )
    logs.discard(token)
    log.warning("%s job %s ended without a result: its process %s", name, token, cause.text)
    fewer = ", perhaps on fewer points" if cause.out_of_memory else ""
    return f"The {name} job ended without a result: its process {cause.text}. Press Run to try again{fewer}."
