"""One t-SNE or UMAP layout job, whatever runs it (a local job process, a Celery worker, a test): its result
key, the shared-cache hit, one job per browser session, the queue slot, the run, storing the result (or
handing it back when the cache cannot keep it), a stopped layout's own key, and stopping.

Progress goes to a :class:`Reporter`, in openTSNE's callback convention: every call may return True to stop
the job. Stop requests from the page and an abandoned page are read from the :class:`JobBoard` here too.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from projector.aligned_umap import aligned_layouts, check_steps
from projector.dataset import Dataset
from projector.errors import InputError, without_paths
from projector.jobs import JobBoard, JobSlots, pack_layout
from projector.projection import (
    METHOD_NAMES,
    layout_extras,
    layout_key,
    layout_params,
    points_key,
    stopped_layout,
)
from projector.tsne import TSNEParams, perturb, supervise_labels, tsne
from projector.umap import UMAPParams, umap_layout
from projector.view import View
from projector.workspace import Workspace

log = logging.getLogger(__name__)

FRAME_EVERY = 25  # t-SNE iterations between streamed layouts
STOPPED_WHILE_QUEUED = "stopped while queued"
FROM_CACHE = "done (from the shared cache)"


class Reporter(Protocol):
    """Where a running job says how far it is; each call returns True to ask the job to stop."""

    def stage(self, text: str, done: int, total: int) -> bool:
        """A status line: stage ``text``, ``done`` of ``total`` steps (``total`` 1: a stage without steps)."""
        ...

    def frame(self, iteration: int, layout: np.ndarray, status: str) -> bool:
        """The t-SNE layout reached at ``iteration`` (N × k), and the status line that goes with it."""
        ...


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended: its status line, what the page should draw (``done``: the finished job's record,
    None when there is nothing new to draw) and banner ``messages`` of ``level``."""

    status: str
    done: dict[str, Any] | None
    messages: list[str] = field(default_factory=list)
    level: str = "warning"


@dataclass
class _Progress:
    """The reporter, with the board's stop requests (the page's Stop, a newer job, a closed page) and
    nudges added."""

    reporter: Reporter
    board: JobBoard
    token: str
    total: int | None = None  # t-SNE iterations asked for; None: until stopped

    def stage(self, text: str, done: int, total: int) -> bool:
        asked = self.reporter.stage(text, done, total)
        return asked or self.board.should_stop(self.token)

    def frame(self, iteration: int, layout: np.ndarray) -> bool:
        of = f" of {self.total}" if self.total is not None else " (until Stop)"
        asked = self.reporter.frame(iteration, layout, f"iteration {iteration}{of}")
        return asked or self.board.should_stop(self.token)

    def nudged(self) -> bool:
        return self.board.nudged(self.token)


Params = TSNEParams | UMAPParams
Ran = tuple[np.ndarray, str, bool, dict[str, Any]]  # layout, status text, stopped, facts for the result's meta


def run_layout_job(
    *,
    workspace: Workspace,
    board: JobBoard,
    slots: JobSlots,
    reporter: Reporter,
    method: str,
    token: str,
    session: str,
    view: View,
    dimension: Any,
    spherized: bool,
    form: Mapping[str, Any],
    start: Mapping[str, Any] | None = None,
) -> JobOutcome:
    """Run the ``method`` ("tsne" or "umap") job ``token`` of browser ``session`` on ``view`` with the
    panel's ``dimension`` and ``form`` fields; ``start`` is the page's record of a t-SNE layout to continue
    (ignored unless it names this token and view). The board hears that it started, beats and finished."""
    board.seen(token)
    board.started(token, view.token)
    try:
        with board.heartbeat(token):
            outcome = _run(
                workspace=workspace,
                board=board,
                slots=slots,
                progress=_Progress(reporter, board, token),
                method=method,
                token=token,
                session=session,
                view=view,
                dimension=dimension,
                spherized=spherized,
                form=dict(form),
                start=start,
            )
    except BaseException:
        board.finished(token, "failed")
        raise
    board.finished(token, "done")
    return outcome


def _run(
    *,
    workspace: Workspace,
    board: JobBoard,
    slots: JobSlots,
    progress: _Progress,
    method: str,
    token: str,
    session: str,
    view: View,
    dimension: Any,
    spherized: bool,
    form: dict[str, Any],
    start: Mapping[str, Any] | None,
) -> JobOutcome:
    data = workspace.view_data(view)
    subset = view.subset
    params, note = layout_params(method, dimension, data.n if subset is None else subset.size, form)
    if start and (start.get("token") != token or start.get("view") != view.token):
        start = None  # a record from an earlier click, or of another view
    inputs, extra = _INPUTS[method](workspace, data, subset, spherized, params, start)
    aligned = layout_extras(method, data, form)
    extra.update(aligned)
    result = layout_key(workspace, data, subset, spherized, method, params, **extra)
    done = {"method": method, "view": view.token, "dimension": params.n_components, "token": token}
    if workspace.results.get_meta(result) is not None:
        return JobOutcome(FROM_CACHE, {**done, "result": result})
    board.claim(session, method, token)  # one job of a kind per browser session: the newest

    with slots.slot(token, lambda ahead: progress.stage(queued(ahead, slots), 0, 1)) as running:
        if not running:
            return JobOutcome(STOPPED_WHILE_QUEUED, None)
        if note:
            progress.stage(note, 0, 1)
        if aligned:
            assert isinstance(params, UMAPParams)  # layout_extras aligns UMAP only
            ran = _run_aligned(workspace, data, subset, spherized, params, progress, extra)
            if ran is None:
                return JobOutcome("stopped while finding neighbours: no layout", None)
            layout, text, stopped, facts = ran
        else:
            vectors = workspace.vectors(data, subset, spherized)
            layout, text, stopped, facts = _EXECUTE[method](vectors, params, progress, **inputs)
    if stopped:  # a partial layout is kept for this view but never served as the finished one
        result = layout_key(workspace, data, subset, spherized, method, params, **extra, stopped=token)
    log.info("%s on %s (%d points): %s", METHOD_NAMES[method], view.tensor, len(layout), text)
    status = f"{note} {text}" if note else text
    meta = {"status": text, **params.as_dict(), **facts, "points": points_key(workspace, data, subset, spherized)}
    try:
        workspace.results.set(result, layout, meta=meta)
    except (OSError, sqlite3.Error) as error:  # a full or read-only cache: show the layout all the same
        log.warning("Layout %s not stored: %s", result, error)
        warning = (
            f"The {METHOD_NAMES[method]} layout could not be saved in the server's cache "
            f"({without_paths(str(error))}); it is "
            "shown, but is lost when the server restarts. Free disk space or fix the cache directory."
        )
        return JobOutcome(status, {**done, "result": result, "layout": pack_layout(layout)}, [warning])
    return JobOutcome(status, {**done, "result": result})


def queued(ahead: int, slots: JobSlots) -> str:
    if ahead == 0:
        return f"waiting for a free slot: {slots.slots} layouts run at once on this server"
    return f"queued: {ahead} {'layout' if ahead == 1 else 'layouts'} ahead of this one"


def _tsne_inputs(
    workspace: Workspace,
    data: Dataset,
    subset: np.ndarray | None,
    spherized: bool,
    params: TSNEParams,
    start: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A t-SNE job's inputs beyond its vectors, and the result key's extras: the labels of a supervised run;
    for a continued run (``start`` from the page) the stopped layout it goes on from, perturbed if asked."""
    inputs: dict[str, Any] = {}
    if params.supervised:
        inputs["labels"] = supervise_labels(data.metadata, params.supervise_column, subset)
    if not start:
        earlier = previous_step_layout(workspace, data, subset, spherized, params)
        if earlier is not None:
            inputs["initialization"], inputs["from_step"] = earlier[1], earlier[0]
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


def previous_step_layout(
    workspace: Workspace, data: Dataset, subset: np.ndarray | None, spherized: bool, params: TSNEParams
) -> tuple[int, np.ndarray] | None:
    """The step before ``data``'s (a tensor saved at several steps) and its t-SNE layout with the same
    settings, when the shared cache holds one: a run on this step starts from it, so the layout travels from
    step to step instead of starting anew. None for the first step, a tensor saved once, or no such layout."""
    steps = data.spec.steps
    step = steps[-1] if data.spec.step is None and steps else data.spec.step
    if step not in steps or steps.index(step) == 0:
        return None
    before = steps[steps.index(step) - 1]
    earlier = workspace.dataset(data.spec.key, step=before)
    if earlier.n != data.n:
        return None
    layout = workspace.results.get(layout_key(workspace, earlier, subset, spherized, "tsne", params))
    return None if layout is None else (before, layout)


def _umap_inputs(*_: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A UMAP job needs nothing beyond its vectors and parameters."""
    return {}, {}


def _run_tsne(vectors: np.ndarray, params: TSNEParams, progress: _Progress, **inputs: Any) -> Ran:
    """Run t-SNE (``inputs``: the labels of a supervised run, the Start of a continued one)."""
    progress.total = params.total
    start = inputs.get("start")
    from_step = inputs.pop("from_step", None)
    progress.stage(
        "finding neighbours and affinities" + (f" to go on from iteration {start.iteration}" if start else ""), 0, 1
    )
    layout, reached = tsne(
        vectors, params, on_frame=progress.frame, frame_every=FRAME_EVERY, nudge=progress.nudged, **inputs
    )
    stopped = params.total is None or reached < params.total
    of = "" if params.total is None else f" of {params.total}"
    text = f"iteration {reached}{of}: {'stopped' if stopped else 'done'}"
    if from_step is not None:
        text += f" (started from step {from_step:,}'s layout)"
    early = start.early_exaggeration_iter if start and start.early_exaggeration_iter is not None else None
    early = params.early_exaggeration_iter if early is None else early  # the phase a continuation goes on from
    return layout, text, stopped, {"iteration": reached, "stopped": stopped, "early_exaggeration_iter": early}


def _run_umap(vectors: np.ndarray, params: UMAPParams, progress: _Progress) -> Ran:
    stopped = False

    def stage(text: str, done: int, total: int) -> bool:
        nonlocal stopped
        stopped = progress.stage(text, done, total)
        return stopped

    layout = umap_layout(vectors, params, on_progress=stage)
    return layout, "stopped" if stopped else "done", stopped, {}


def _run_aligned(
    workspace: Workspace,
    data: Dataset,
    subset: np.ndarray | None,
    spherized: bool,
    params: UMAPParams,
    progress: _Progress,
    extra: dict[str, Any],
) -> Ran | None:
    """One aligned UMAP of every step of ``data``'s tensor: each other step's layout goes into the shared cache
    under its own key (unless stopped), ``data``'s step's is returned; None when stopped before any layout."""
    steps = data.spec.steps
    datasets = [workspace.dataset(data.spec.key, step=step) for step in steps]
    if len({d.n for d in datasets}) > 1:
        check_steps([d.n for d in datasets])  # says the steps hold different rows
    check_steps([data.n if subset is None else int(subset.size)] * len(datasets))  # the points laid out
    vectors = [workspace.vectors(d, subset, spherized) for d in datasets]
    stopped = False

    def stage(text: str, done: int, total: int) -> bool:
        nonlocal stopped
        stopped = progress.stage(f"{text} (aligned over {len(steps)} steps)", done, total)
        return stopped

    layouts, stopped = aligned_layouts(vectors, params, on_progress=stage)
    if not layouts:
        return None
    shown = next(i for i, d in enumerate(datasets) if d.content_hash == data.content_hash)
    text = f"{'stopped' if stopped else 'done'}: {len(steps)} steps laid out aligned"
    for i, other in enumerate(datasets):
        if i == shown or stopped:
            continue
        key = layout_key(workspace, other, subset, spherized, "umap", params, **extra)
        meta = {"status": text, **params.as_dict(), "points": points_key(workspace, other, subset, spherized)}
        try:
            workspace.results.set(key, layouts[i], meta=meta)
        except (OSError, sqlite3.Error) as error:  # the step shown is still answered (and said of, below)
            log.warning("Aligned UMAP layout of step %s not stored: %s", other.spec.step, error)
    return layouts[shown], text, stopped, {"aligned_steps": list(steps)}


_INPUTS: dict[str, Callable[..., tuple[dict[str, Any], dict[str, Any]]]] = {
    "tsne": _tsne_inputs,
    "umap": _umap_inputs,
}
_EXECUTE: dict[str, Callable[..., Ran]] = {"tsne": _run_tsne, "umap": _run_umap}
