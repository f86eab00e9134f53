"""Trails: where a few points were drawn at each saved step of their tensor, in the projection on screen.

A tensor saved at several steps draws one step at a time; a trail joins one point's positions at every step,
so its path over training shows on the plot. PCA and custom projections are computed at each step (PCA on
the latest step's axes, so no axis turns over between steps); a t-SNE or UMAP layout is taken from the
shared cache for each step it was run at with the same settings, and a step without one is a gap. A trail is
drawn for the clicked point and the first selected ones (:data:`MAX_TRAILS`), through at most
:data:`MAX_STEPS` steps and :data:`MAX_CELLS` point-steps, thinned evenly beyond them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from projector.dataset import Dataset
from projector.errors import ProjectorError
from projector.projection import METHOD_NAMES, layout_extras, layout_key, layout_params, layout_spec, project
from projector.view import Selection, View, to_positions, visible_rows
from projector.workspace import Workspace

MAX_TRAILS = 50  # points with a trail: the clicked one, then the selection in order
MAX_STEPS = 20  # steps a trail goes through
MAX_CELLS = 2_000_000  # visible points × steps kept per projection (about 24 MB in 3-D)


@dataclass(frozen=True)
class Trails:
    """The trails of ``rows`` (dataset rows): ``coords[i, j]`` is row ``i``'s position at ``steps[j]``, NaN at a
    step without a layout; ``shown`` indexes the step on screen; ``note`` says what is drawn and left out."""

    steps: tuple[int, ...]
    shown: int
    rows: np.ndarray
    coords: np.ndarray
    note: str


def trail_steps(steps: tuple[int, ...], shown: int, points: int) -> tuple[int, ...]:
    """The steps trails go through: every one, or evenly thinned to :data:`MAX_STEPS` and to what
    :data:`MAX_CELLS` allows for ``points`` visible points, always with the first, the last and ``shown``."""
    limit = max(2, min(MAX_STEPS, MAX_CELLS // max(points, 1)))
    if len(steps) <= limit:
        return steps
    picked = {steps[round(i * (len(steps) - 1) / (limit - 1))] for i in range(limit)}
    return tuple(sorted(picked | {shown}))


def trail_rows(selection: Selection | None, subset: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    """The rows that get a trail, the clicked one first, then the selected ones in view, at most
    :data:`MAX_TRAILS`; and how many rows in view were asked for."""
    if selection is None:
        return np.empty(0, dtype=np.int64), 0
    wanted = ([] if selection.anchor is None else [selection.anchor]) + list(selection.points)
    rows = np.asarray(list(dict.fromkeys(wanted)), dtype=np.int64)
    rows = rows[(rows >= 0) & (rows < n)]
    rows = visible_rows(subset, n)[to_positions(subset, rows)] if subset is not None else rows
    return rows[:MAX_TRAILS], int(rows.size)


def _step_spec(
    workspace: Workspace,
    data: Dataset,
    view: View,
    spherized: bool,
    spec: dict[str, Any],
    form: dict[str, Any] | None,
    is_shown: bool,
) -> dict[str, Any] | None:
    """The spec that draws step ``data`` as ``spec`` draws the step shown: the same PCA or custom axes, or the
    t-SNE/UMAP layout of that step with the panel's settings (``form``) when the shared cache holds one."""
    method = spec.get("method")
    if method not in ("tsne", "umap") or is_shown:
        return spec
    if form is None:
        return None
    dimension = int(spec.get("dimension") or 2)
    params, _ = layout_params(method, dimension, len(visible_rows(view.subset, data.n)), form)
    key = layout_key(workspace, data, view.subset, spherized, method, params, **layout_extras(method, data, form))
    return layout_spec(method, key, dimension) if workspace.results.get_meta(key) is not None else None


def _positions(workspace: Workspace, data: Dataset, view: View, spherized: bool, spec: dict[str, Any]) -> np.ndarray:
    """Every visible point's position at one step (float32, points × dimensions)."""
    return np.asarray(project(workspace, data, view.subset, spherized, spec).coords, dtype=np.float32)


def trails(
    workspace: Workspace,
    view: View,
    spherized: bool,
    spec: dict[str, Any],
    selection: Selection | None,
    form: dict[str, Any] | None = None,
) -> Trails:
    """The trails of the selection's points in the projection ``spec`` draws (checked as any spec from the
    page), over the steps of the view's tensor; ``form`` holds the t-SNE/UMAP panel's settings."""
    latest = workspace.dataset(view.tensor)
    steps = latest.spec.steps
    shown_step = steps[-1] if view.step is None else view.step
    rows, asked = trail_rows(selection, view.subset, latest.n)
    if len(steps) < 2 or not rows.size:
        return Trails((), 0, rows, np.empty((rows.size, 0, 0), dtype=np.float32), "")
    n_visible = len(visible_rows(view.subset, latest.n))
    chosen = trail_steps(steps, shown_step, n_visible)
    positions = to_positions(view.subset, rows)
    columns: list[np.ndarray | None] = []
    missing: list[int] = []
    for step in chosen:
        try:
            data = workspace.dataset(view.tensor, step=step)
            step_spec = _step_spec(workspace, data, view, spherized, spec, form, step == shown_step)
            if step_spec is None or data.n != latest.n:
                raise ProjectorError("no layout at this step")
            columns.append(_cached_positions(workspace, data, view, spherized, step_spec)[positions])
        except ProjectorError:
            columns.append(None)
            missing.append(step)
    dimension = next((c.shape[1] for c in columns if c is not None), int(spec.get("dimension") or 2))
    coords = np.full((rows.size, len(chosen), dimension), np.nan, dtype=np.float32)
    for j, column in enumerate(columns):
        if column is not None and column.shape[1] == dimension:
            coords[:, j] = column
    note = _note(rows.size, asked, chosen, steps, missing, spec)
    return Trails(chosen, chosen.index(shown_step), rows, coords, note)


def _cached_positions(
    workspace: Workspace, data: Dataset, view: View, spherized: bool, spec: dict[str, Any]
) -> np.ndarray:
    """:func:`_positions`, kept per step and projection so a new selection reads the steps again at once."""
    key = (data.content_hash, view.token, spherized, json.dumps(spec, sort_keys=True))
    return workspace.cache.get_or_compute("trails", key, lambda: _positions(workspace, data, view, spherized, spec))


def _note(
    drawn: int, asked: int, chosen: tuple[int, ...], steps: tuple[int, ...], missing: list[int], spec: dict[str, Any]
) -> str:
    """What the trails show: how many points over which steps, and what was left out and why."""
    parts = [f"Trails of {drawn:,} point{'' if drawn == 1 else 's'} over {len(chosen):,} steps"]
    if asked > drawn:
        parts.append(f"the first {drawn:,} of {asked:,} selected")
    if len(chosen) < len(steps):
        parts.append(f"{len(chosen):,} of the {len(steps):,} steps, evenly spread")
    if missing:
        name = METHOD_NAMES.get(str(spec.get("method")), "this projection")
        parts.append(
            f"no {name} layout with these settings at step{'' if len(missing) == 1 else 's'} "
            f"{', '.join(f'{s:,}' for s in missing[:6])}{' …' if len(missing) > 6 else ''}: run it there to "
            "fill the gap"
        )
    return "; ".join(parts) + "."
