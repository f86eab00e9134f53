"""Which coordinates are on screen, described as small JSON, and how to get them back.

A *projection spec* is what the browser keeps: enough to recompute (PCA, custom) or look up (t-SNE,
UMAP, from the shared result cache) the drawn coordinates of a view without sending them back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from projector import tsne, umap
from projector.custom import SIDES, custom_projection
from projector.dataset import Dataset
from projector.errors import InputError, ProjectorError
from projector.pca import PCAResult
from projector.search import MAX_QUERY_LENGTH
from projector.view import visible_rows
from projector.workspace import Workspace

METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP", "custom": "Custom"}
MAX_AXES = 3
MAX_KEY_LENGTH = 128  # result keys are short digests
_KEY = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass
class Projected:
    """Coordinates of the visible points, axis titles and the spec that reproduces them."""

    coords: np.ndarray
    titles: list[str]
    spec: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class LayoutMissing(ProjectorError):
    """A t-SNE or UMAP layout is not in the result cache (not run yet, or evicted)."""


def pca_spec(axes: list[int]) -> dict[str, Any]:
    return {"method": "pca", "axes": [int(a) for a in axes]}


def layout_spec(method: str, result: str, dimension: int) -> dict[str, Any]:
    return {"method": method, "result": result, "dimension": int(dimension)}


def custom_regex(spec: dict[str, Any]) -> dict[str, bool]:
    """The regex switch of each search of a custom spec (one ``regex`` for all in older specs)."""
    return {side: bool(spec.get(f"{side}_regex", spec.get("regex"))) for side in SIDES}


def custom_spec(column: str | None = None, **form: Any) -> dict[str, Any]:
    """The spec of a custom projection from the panel's fields: ``left``, ``right``, ``up``, ``down`` and a
    regex switch per search (``left_regex``, …)."""
    spec: dict[str, Any] = {"method": "custom", "column": column or ""}
    for side in SIDES:
        spec[side] = form.get(side) or ""
        spec[f"{side}_regex"] = bool(form.get(f"{side}_regex"))
    return spec


def axis_choice(result: PCAResult, wanted: list[int | None], dimension: int) -> list[int]:
    """The components to plot: the user's choice where valid and distinct, else the first free ones."""
    k = len(result.explained_variance_ratio)
    chosen: list[int] = []
    for i, value in enumerate(wanted[:dimension]):
        if value is None or value >= k or value in chosen:
            value = next((c for c in range(k) if c not in chosen), i % max(k, 1))
        chosen.append(value)
    return chosen


def layout_params(
    method: str, dimension: int | None, n: int, form: dict[str, Any]
) -> tuple[tsne.TSNEParams | umap.UMAPParams, str | None]:
    """Validated t-SNE or UMAP parameters for ``n`` points from the panel's ``form`` fields, and a note when
    one had to be lowered. ``form`` holds ``perplexity, learning_rate, iterations, seed, supervise_column,
    supervise_weight`` (t-SNE) or ``n_neighbors, min_dist, seed`` (UMAP, and ``aligned``, which
    :func:`layout_extras` reads); InputError names a field that cannot be used."""
    form = {name: value for name, value in form.items() if name != "aligned"}
    if method == "tsne":
        return tsne.check_params(tsne.params_from_form(dimension, **form), n)
    if method == "umap":
        return umap.check_params(umap.params_from_form(dimension, **form), n)
    raise ValueError(f"not a layout method: {method!r}")


def layout_extras(method: str, data: Dataset, form: dict[str, Any]) -> dict[str, Any]:
    """What a layout's key depends on beyond its parameters: a UMAP aligned over the tensor's steps (the
    panel's *Align over steps* on a tensor saved at two steps or more) is one fit of exactly those steps."""
    if method == "umap" and form.get("aligned") and len(data.spec.steps) > 1:
        return {"aligned": ",".join(map(str, data.spec.steps))}
    return {}


def layout_key(
    workspace: Workspace,
    data: Dataset,
    subset: np.ndarray | None,
    spherized: bool,
    method: str,
    params: tsne.TSNEParams | umap.UMAPParams,
    **extra: Any,
) -> str:
    """The shared result-cache key of a t-SNE/UMAP layout of ``params`` (and ``extra``, e.g. a stopped run's
    token); a supervised t-SNE's also depends on the metadata its labels come from."""
    described = params.as_dict()
    if isinstance(params, tsne.TSNEParams) and params.supervised:
        described["labels"] = data.metadata_hash
    return workspace.result_key(data, subset, spherized, method, {**described, **extra})


def points_key(workspace: Workspace, data: Dataset, subset: np.ndarray | None, spherized: bool) -> str:
    """What a layout lays out (the tensor's content, the subset, spherize), to tell whether a stored layout
    is of the points on screen."""
    return workspace.result_key(data, subset, spherized, "points", {})


def stopped_layout(
    workspace: Workspace,
    data: Dataset,
    subset: np.ndarray | None,
    spherized: bool,
    result: str | None,
    params: tsne.TSNEParams,
) -> tsne.Start | None:
    """The t-SNE layout stored under ``result`` (stopped, or finished short of ``params``' iterations), if a run
    of ``params`` on these points can continue from it (see :func:`projector.tsne.can_continue`); else None."""
    meta = workspace.results.get_meta(result) if result else None
    if result is None or meta is None or meta.get("points") != points_key(workspace, data, subset, spherized):
        return None
    if not tsne.can_continue(meta, params):
        return None
    layout = workspace.results.get(result)
    early = meta.get("early_exaggeration_iter")
    return (
        None
        if layout is None
        else tsne.Start(layout, int(meta["iteration"]), early if isinstance(early, int) else None)
    )


@dataclass(frozen=True)
class Request:
    """What the projections panel asks to see.

    ``tab`` is ``pca``, ``tsne``, ``umap`` or ``custom``; ``axes`` the PCA components, one per dimension
    (PCA is also what is shown while another tab has nothing to show); ``form`` the tab's fields (see
    :func:`layout_params`, or :func:`custom_spec`'s); ``finished`` the record of a t-SNE/UMAP job that has
    just finished on this view (``method``, ``result``, ``dimension``).
    """

    tab: str
    axes: list[int]
    form: dict[str, Any] = field(default_factory=dict)
    finished: dict[str, Any] | None = None


def choose_spec(
    workspace: Workspace, data: Dataset, subset: np.ndarray | None, spherized: bool, request: Request
) -> tuple[dict[str, Any], str | None]:
    """The projection spec to draw for ``request`` and the status line of its tab (None: leave it alone).

    A t-SNE/UMAP tab shows the finished job, else the layout already in the shared cache for these points
    and settings, else PCA with a line saying to press Run. A custom tab needs a left and a right search.
    """
    tab, axes = request.tab, request.axes
    if tab in ("tsne", "umap"):
        finished = request.finished
        if finished and finished.get("method") == tab:
            return layout_spec(tab, finished["result"], finished["dimension"]), None
        n = len(visible_rows(subset, data.n))
        try:
            params, _ = layout_params(tab, len(axes), n, request.form)
        except ProjectorError as error:
            return pca_spec(axes), str(error)
        extras = layout_extras(tab, data, request.form)
        result = layout_key(workspace, data, subset, spherized, tab, params, **extras)
        if workspace.results.get_meta(result) is not None:
            return layout_spec(tab, result, len(axes)), "Finished layout (from the shared cache)."
        what = f" (Run lays out all {len(data.spec.steps)} steps, aligned)" if extras else ""
        return pca_spec(axes), f"Not run on these {n:,} points with these settings: press Run{what}. Showing PCA."
    if tab == "custom":
        form = request.form
        if not (form.get("left") or "").strip() or not (form.get("right") or "").strip():
            return pca_spec(axes), "Type a left and a right search to define the X axis. Showing PCA."
        return custom_spec(**form), ""
    return pca_spec(axes), None


def checked_spec(spec: Any) -> dict[str, Any]:
    """A projection spec from the browser, bounded before anything is computed from it: a known method, at
    most three distinct whole-number axes, a short result key, short searches. InputError otherwise."""
    if not isinstance(spec, dict):
        raise InputError("The page asked for a projection it cannot describe; reload it.")
    method = spec.get("method")
    if method not in METHOD_NAMES:
        raise InputError(f"Unknown projection {str(method)[:40]!r}; choose one of {', '.join(METHOD_NAMES)}.")
    axes = spec.get("axes")
    if axes is not None:
        if (
            not isinstance(axes, list)
            or not 0 < len(axes) <= MAX_AXES
            or not all(isinstance(a, int) and not isinstance(a, bool) and a >= 0 for a in axes)
            or len(set(axes)) != len(axes)
        ):
            raise InputError(f"PCA axes must be one to {MAX_AXES} distinct component numbers.")
    result = spec.get("result")
    if result is not None and (not isinstance(result, str) or len(result) > MAX_KEY_LENGTH or not _KEY.match(result)):
        raise InputError("The page asked for a layout this server never made; press Run again.")
    if method == "custom":
        texts = [spec.get(side) for side in SIDES] + [spec.get("column")]
        if not all(t is None or (isinstance(t, str) and len(t) <= MAX_QUERY_LENGTH) for t in texts):
            raise InputError(f"Custom searches are text of at most {MAX_QUERY_LENGTH:,} characters.")
    return spec


def project(
    workspace: Workspace, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool, spec: dict[str, Any]
) -> Projected:
    """The coordinates ``spec`` (JSON from the browser, checked first) describes for a tensor (key or
    dataset) restricted to ``subset``."""
    method: Any = checked_spec(spec)["method"]
    if spec.get("result"):  # a finished t-SNE/UMAP run or a restored bookmark: coordinates as stored
        layout = workspace.results.get(spec["result"])
        if layout is None:
            raise LayoutMissing(
                f"The {METHOD_NAMES.get(method, method)} layout is no longer cached; "
                "press Run (or open the bookmark) again."
            )
        if method == "pca" and spec.get("axes"):
            titles = [f"Component #{a + 1}" for a in spec["axes"]][: layout.shape[1]]
        else:
            titles = [f"{METHOD_NAMES.get(method, method)} {i + 1}" for i in range(layout.shape[1])]
        return Projected(layout, titles, spec)
    if method == "pca":
        pca = workspace.pca(tensor, subset, spherized)
        axes = spec.get("axes") or []
        if not axes or max(axes) >= pca.coords.shape[1]:
            raise InputError(f"PCA axes must be components 1 to {pca.coords.shape[1]} of this view.")
        return Projected(pca.coords[:, axes], [f"Component #{a + 1}" for a in axes], spec)
    if method == "custom":
        data = workspace.resolve(tensor)  # the axes come from every point, isolated or not
        custom = custom_projection(
            workspace.vectors(data, None, spherized),
            data.metadata,
            spec["column"] or None,
            spec["left"],
            spec["right"],
            spec["up"],
            spec["down"],
            regex=custom_regex(spec),
            rows=subset,
        )
        return Projected(custom.coords, [custom.x_title, custom.y_title], spec, list(custom.notes))
    raise ProjectorError(f"Unknown projection {method!r}; choose one of {', '.join(METHOD_NAMES)}.")
