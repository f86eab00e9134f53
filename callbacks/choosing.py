"""What each trigger of the projections panel's ``choose`` callback draws: one handler per trigger.

A handler reads the typed inputs of one request (:class:`ChooseInputs`) and the view's PCA (:class:`Axes`)
and returns a :class:`Choice`: the projection spec the plot is to draw and the tab's status. The panel turns
it into outputs (``callbacks.projections_panel``). Handlers know nothing of Dash, so the tests call them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any, Callable

import numpy as np

from callbacks import ids
from projector import scatter
from projector.bookmarks import restored_status
from projector.dataset import Dataset
from projector.errors import InputError
from projector.jobs import unpack_layout
from projector.pca import PCAResult
from projector.projection import Request, axis_choice, choose_spec
from projector.view import Opening, View, visible_rows
from projector.workspace import Workspace

MAX_HELD_CHARS = 64 * 2**20  # a packed layout of 5M points in 3D


@dataclass(frozen=True)
class ChooseInputs:
    """The values of one ``choose`` request, already checked for their types by ``callbacks.inputs``."""

    view: View
    session: str  # the requesting browser session (signed cookie), for layouts only it may be served
    opening: Opening | None = None  # the bookmark being opened, when it triggered this request
    new_view: bool = False  # the view itself changed
    dimension: int | None = None
    wanted: list | None = None  # the PCA components asked for, X, Y and Z
    spherize: list | None = None
    tab: str | None = None
    done: dict | None = None  # a finished layout job's record, when it triggered this request
    custom: dict | None = None
    tsne: dict | None = None
    umap: dict | None = None

    @classmethod
    def of(cls, values: dict, view: View, session: str, triggered: list[str] | tuple[str, ...]) -> ChooseInputs:
        """The inputs of a request with dict-form ``values``; records count only when they triggered it."""
        named = {f.name for f in fields(cls)} - {"view", "session", "opening", "new_view", "done"}
        opening = Opening.from_json(values.get("opening")) if f"{ids.BOOKMARK_OPENING}.data" in triggered else None
        done = values.get("done") if f"{ids.PROJECTION_DONE}.data" in triggered else None
        return cls(
            view=view,
            session=session,
            opening=opening,
            new_view=f"{ids.VIEW_STORE}.data" in triggered and not view.moved,  # a step keeps the highlight
            done=done,
            **{name: values.get(name) for name in named},
        )

    @property
    def form(self) -> dict:
        """The open tab's form (empty for PCA)."""
        return {"tsne": self.tsne, "umap": self.umap, "custom": self.custom}.get(self.tab or "", None) or {}


@dataclass(frozen=True)
class Axes:
    """The view's PCA and the components chosen from it: X, Y, Z (``chosen``), those drawn (``drawn``)."""

    result: PCAResult
    chosen: list[int]
    dimension: int

    @classmethod
    def of(cls, result: PCAResult, inp: ChooseInputs) -> Axes:
        k = len(result.explained_variance_ratio)
        return cls(result, axis_choice(result, inp.wanted, min(3, k)), min(int(inp.dimension or 3), k))

    @property
    def drawn(self) -> list[int]:
        return self.chosen[: self.dimension]


@dataclass(frozen=True)
class Choice:
    """The projection to draw and the open tab's status (None leaves a status as it is)."""

    spec: dict[str, Any]
    status: str | None = None


def on_opening(workspace: Workspace, data: Dataset, inp: ChooseInputs, axes: Axes) -> Choice:
    """A bookmark opens: its layout, read back from the shared result cache, and what it says of it."""
    opening = inp.opening
    assert opening is not None
    spec = {"method": opening.method, "result": opening.result, "axes": list(opening.axes)}
    return Choice(spec, restored_status(opening.dimension, workspace.results.get_meta(opening.result)))


def on_finished(workspace: Workspace, data: Dataset, inp: ChooseInputs, axes: Axes) -> Choice:
    """A layout job finished: its layout, when it is of the view shown (else the tab's choice, as before)."""
    done = inp.done
    if not done or done.get("view") != scatter.view_token(inp.view):
        return on_choice(workspace, data, inp, axes)
    if done.get("layout"):  # a layout no cache could keep travels with its record
        done = hold_for_session(workspace, done, len(visible_rows(inp.view.subset, data.n)), inp.session)
    request = Request(inp.tab, axes.drawn, inp.form, done)
    return Choice(*choose_spec(workspace, data, inp.view.subset, bool(inp.spherize), request))


def on_choice(workspace: Workspace, data: Dataset, inp: ChooseInputs, axes: Axes) -> Choice:
    """The view, tab, dimension, components, spherizing or custom axes changed: what the tab draws now."""
    request = Request(inp.tab, axes.drawn, inp.form, None)
    return Choice(*choose_spec(workspace, data, inp.view.subset, bool(inp.spherize), request))


Handler = Callable[[Workspace, Dataset, ChooseInputs, Axes], Choice]


def handler_for(inp: ChooseInputs) -> Handler:
    """A bookmark opening comes first (it changes the view too), then a finished job, else the tab's choice."""
    if inp.opening is not None:
        return on_opening
    return on_finished if inp.done is not None else on_choice


def hold_for_session(workspace: Workspace, done: dict, n: int, session: str) -> dict:
    """Keep a layout that came back through the page, under a key only this browser session's requests
    name: whatever a client sends is never served to anyone else as a computed result."""
    if not isinstance(done.get("layout"), str) or len(done["layout"]) > MAX_HELD_CHARS:
        raise InputError("The finished layout sent back by the page is not one this server made; press Run again.")
    layout = unpack_layout(done["layout"])
    if layout.ndim != 2 or layout.shape[0] != n or layout.shape[1] not in (2, 3) or not np.isfinite(layout).all():
        raise InputError("The finished layout sent back by the page does not fit the points shown; press Run again.")
    key = "held-" + hashlib.sha256(f"{session}|{done.get('result')}".encode()).hexdigest()[:32]
    workspace.results.hold(key, layout.astype(np.float32))
    return {**done, "result": key, "layout": None}
