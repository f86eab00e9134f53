"""Bookmarks: view states as TensorBoard projector ``State`` JSON, with our extra fields under one key.

TensorBoard's bookmark panel saves ``JSON.stringify(State[])`` and loads such an array back (``data.ts``,
``vz-projector-bookmark-panel.ts``). Files written here load in TensorBoard, and TensorBoard's files load here.
Our extras (seeds, search, spherize, the Plotly camera, ...) live under ``state["dashProjector"]``, which
TensorBoard ignores but keeps when it saves an uploaded bookmark again.

TensorBoard's layout rules, kept on both sides:

* ``projections`` holds one ``{key: number}`` dict per point; a point without a coordinate has no key
  (t-SNE beyond its sample, or here a NaN coordinate). Keys are ``pca-<k>``, ``tsne-<k>``, ``umap-<k>``
  and ``linear-x`` / ``linear-y`` for the custom projection.
* With an isolated subset (``filteredPoints`` non-empty) TensorBoard works on the subset: ``projections``
  has one entry per isolated point in ``filteredPoints`` order and ``selectedPoints`` are positions in that
  subset. TensorBoard itself then records the subset size in ``dataSetDimensions``; we write the dataset
  size (TensorBoard's upload check compares it with the open tensor) and read either.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, overload

import numpy as np

from projector.clusters import SOURCES
from projector.errors import BookmarkError
from projector.tsne import FORM_DEFAULTS as TSNE_FORM
from projector.umap import FORM_DEFAULTS as UMAP_FORM

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
NAMESPACE = "dashProjector"  # our extra fields live under this one key of each state object
METHODS = ("pca", "tsne", "umap", "custom")
MAX_BYTES = 200 * 2**20
MAX_CHOICE = 2000  # characters of a saved *Compare with* choice or column name

NO_COLOR = "No color map"  # TensorBoard's colour option for "no colouring"
TSNE_DEFAULTS = {**TSNE_FORM, "iteration": 0}
UMAP_DEFAULTS = dict(UMAP_FORM)
CUSTOM_DEFAULTS: dict[str, Any] = {"column": None, "left": "", "right": "", "up": "", "down": ""}
CUSTOM_DEFAULTS.update({f"{side}_regex": False for side in ("left", "right", "up", "down")})
_TB_SIDES = (("left", "XLeft"), ("right", "XRight"), ("up", "YUp"), ("down", "YDown"))
SEARCH_DEFAULTS = {"query": "", "column": None, "regex": False}
TB_LEARNING_RATE = 10  # TensorBoard's default t-SNE learning rate: written for our "auto", read back as "auto"
MAX_TSNE_ITERATION = 10**9  # beyond any run: a larger tSNEIteration is damage, read as unknown (0)
TB_SPHERIZE_DIMS = 50  # TensorBoard spherizes by default from this many dimensions on
_TB_POSITION_3D = (0.45, 0.9, 1.6)  # TensorBoard's default cameras (scatterPlot.ts)
_TB_POSITION_2D = (0.0, 0.0, 4.0)
_PLOTLY_EYE = (1.25, 1.25, 1.25)  # Plotly's default scene camera eye
_CAMERA_SCALE = math.hypot(*_TB_POSITION_3D) / math.hypot(*_PLOTLY_EYE)  # maps one default view onto the other
_SHUFFLE_SEED = 0


@dataclass(eq=False)
class ViewState:
    """Everything a bookmark restores. ``coords`` covers every dataset row, NaN where a row has none."""

    label: str
    method: str  # "pca" | "tsne" | "umap" | "custom"
    dimension: int  # 2 or 3
    coords: np.ndarray | None  # float32 (n_points, dimension)
    n_points: int
    n_dims: int
    filtered: list[int] | None = None  # isolated rows; None = every row
    selected: list[int] = field(default_factory=list)
    color_by: str | None = None
    categorical: bool = False  # numbers coloured by category (TensorBoard's forceCategoricalColoring)
    label_by: str | None = None
    pca_components: list[int] = field(default_factory=lambda: [0, 1, 2])
    tsne: dict[str, Any] = field(default_factory=lambda: dict(TSNE_DEFAULTS))
    umap: dict[str, Any] = field(default_factory=lambda: dict(UMAP_DEFAULTS))
    custom: dict[str, Any] = field(default_factory=lambda: dict(CUSTOM_DEFAULTS))
    camera: dict[str, Any] | None = None  # Plotly scene camera (3-D) or axis ranges (2-D), kept as-is
    search: dict[str, Any] = field(default_factory=lambda: dict(SEARCH_DEFAULTS))
    spherize: bool = False
    run: str | None = None
    tensor: str | None = None
    step: int | None = None  # the training step shown, for a tensor saved at several
    compare: str | None = None  # the second embedding drawn beside (a *Compare with* choice), if any
    compare_by: str | None = None  # the metadata column its rows are matched by; None: by row number
    compare_color: bool = False  # the second plot coloured by neighbourhood change
    clusters: dict[str, Any] | None = None  # the cluster run to make again: {source, min_size, name_by}

    @property
    def tsne_iteration(self) -> int | None:
        """The t-SNE iteration a t-SNE layout was saved at (TensorBoard's ``tSNEIteration``), for its status
        line; None for another projection or an iteration nobody recorded."""
        if self.method != "tsne":
            return None
        return _iteration(self.tsne.get("iteration")) or None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ViewState):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "coords":
                if (a is None) != (b is None) or (
                    a is not None and not np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
                ):
                    return False
            elif a != b:
                return False
        return True


def projection_keys(method: str, dimension: int, pca_components: list[int]) -> list[str]:
    """TensorBoard's per-point keys holding the coordinates of ``method`` in ``dimension`` dimensions."""
    if method == "pca":
        return [f"pca-{int(c)}" for c in pca_components[:dimension]]
    if method == "custom":
        return ["linear-x", "linear-y"]
    return [f"{method}-{k}" for k in range(dimension)]


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, NaN to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _tb_camera(camera: dict[str, Any] | None, dimension: int) -> dict[str, Any]:
    """TensorBoard ``CameraDef``: the Plotly 3-D eye and centre rescaled, else TensorBoard's default view."""
    eye = _xyz(camera.get("eye")) if isinstance(camera, dict) else None
    if dimension == 3 and eye is not None and camera is not None:
        center = _xyz(camera.get("center")) or (0.0, 0.0, 0.0)
        return {
            "orthographic": False,
            "position": [v * _CAMERA_SCALE for v in eye],
            "target": [v * _CAMERA_SCALE for v in center],
            "zoom": 1,
        }
    position = _TB_POSITION_3D if dimension == 3 else _TB_POSITION_2D
    return {"orthographic": dimension == 2, "position": list(position), "target": [0.0, 0.0, 0.0], "zoom": 1}


def _plotly_camera(camera_def: Any) -> dict[str, Any] | None:
    """Plotly scene camera for a TensorBoard 3-D ``CameraDef`` (y up, as TensorBoard shows it); None for 2-D."""
    if not isinstance(camera_def, dict) or camera_def.get("orthographic"):
        return None
    position = _xyz(camera_def.get("position"))
    if position is None:
        return None
    target = _xyz(camera_def.get("target")) or (0.0, 0.0, 0.0)

    def point(values: tuple[float, float, float]) -> dict[str, float]:
        return dict(zip("xyz", (v / _CAMERA_SCALE for v in values)))

    return {"eye": point(position), "center": point(target), "up": {"x": 0, "y": 1, "z": 0}}


def _xyz(value: Any) -> tuple[float, float, float] | None:
    """Three finite numbers from ``[x, y, z]`` or ``{"x", "y", "z"}``, else None."""
    if isinstance(value, dict):
        value = [value.get(k) for k in "xyz"]
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        return None
    x, y, z = (_number(v) for v in value)
    return None if x is None or y is None or z is None else (x, y, z)


@overload
def _number(value: Any) -> float | None: ...
@overload
def _number(value: Any, default: float) -> float: ...
def _number(value: Any, default: float | None = None) -> float | None:
    """``value`` (a number, or text such as ``"200"`` from a form) as a finite float, else ``default``."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value)


def to_tensorboard(state: ViewState) -> dict[str, Any]:
    """One TensorBoard ``State`` object for ``state``, with our extras under :data:`NAMESPACE`."""
    if state.method not in METHODS:
        raise BookmarkError(
            f"Unknown projection {state.method!r} in bookmark '{state.label}'; choose one of {', '.join(METHODS)}."
        )
    dimension = int(state.dimension)
    keys = projection_keys(state.method, dimension, state.pca_components)
    filtered = None if state.filtered is None else [int(i) for i in state.filtered]
    rows = np.asarray(filtered if filtered else range(state.n_points), dtype=np.int64)
    projections: list[dict[str, float]]
    if state.coords is None:
        projections = [{} for _ in range(rows.size)]
    else:
        coords = np.asarray(state.coords, dtype=np.float32)
        if coords.shape != (state.n_points, dimension):
            raise ValueError(f"coords has shape {coords.shape}, expected ({state.n_points}, {dimension})")
        values = coords[rows].astype(np.float64).tolist()  # exact: every float32 is a float64
        projections = [{k: v for k, v in zip(keys, point) if v == v} for point in values]
    selected = [int(i) for i in state.selected]
    if filtered:  # TensorBoard's selection counts positions in the isolated subset
        position = {row: i for i, row in enumerate(filtered)}
        tb_selected = [position[row] for row in selected if row in position]
    else:
        tb_selected = selected
    tsne, umap, custom = state.tsne, state.umap, state.custom
    rate = _number(tsne.get("learning_rate"))
    return {
        "label": state.label,
        "isSelected": False,
        "selectedProjection": state.method,
        "dataSetDimensions": [int(state.n_points), int(state.n_dims)],
        "tSNEIteration": _iteration(tsne.get("iteration")),
        "tSNEPerplexity": _number(tsne.get("perplexity"), TSNE_DEFAULTS["perplexity"]),
        "tSNELearningRate": rate if rate and rate > 0 else TB_LEARNING_RATE,
        "tSNEis3d": dimension == 3,
        "umapIs3d": dimension == 3,
        "umapNeighbors": int(_number(umap.get("n_neighbors"), UMAP_DEFAULTS["n_neighbors"])),
        "umapMinDist": _number(umap.get("min_dist"), UMAP_DEFAULTS["min_dist"]),
        "pcaComponentDimensions": [int(c) for c in state.pca_components[:dimension]],
        "customSelectedSearchByMetadataOption": custom.get("column") or None,
        **{f"custom{key}Text": custom.get(side) or "" for side, key in _TB_SIDES},
        **{f"custom{key}Regex": bool(custom.get(f"{side}_regex", custom.get("regex"))) for side, key in _TB_SIDES},
        "projections": projections,
        "filteredPoints": filtered,
        "selectedPoints": tb_selected,
        "shuffledDataIndices": np.random.default_rng(_SHUFFLE_SEED).permutation(rows.size).tolist(),
        "cameraDef": _tb_camera(state.camera, dimension),
        "selectedColorOptionName": state.color_by if state.color_by is not None else NO_COLOR,
        "forceCategoricalColoring": bool(state.categorical),
        "selectedLabelOption": state.label_by,
        NAMESPACE: _plain(
            {
                "version": FORMAT_VERSION,
                "dimension": dimension,
                "hasCoords": state.coords is not None,
                "selected": selected,
                "colorBy": state.color_by,
                "categorical": bool(state.categorical),
                "labelBy": state.label_by,
                "pcaComponents": [int(c) for c in state.pca_components],
                "tsne": dict(tsne),
                "umap": dict(umap),
                "custom": dict(custom),
                "camera": state.camera,
                "search": dict(state.search),
                "spherize": bool(state.spherize),
                "run": state.run,
                "tensor": state.tensor,
                "step": state.step,
                "compare": state.compare,
                "compareBy": state.compare_by,
                "compareColor": bool(state.compare_color),
                "clusters": state.clusters,
            }
        ),
    }


def dumps(states: list[ViewState]) -> str:
    """The JSON array TensorBoard's bookmark panel saves and loads (strict JSON: no NaN)."""
    return json.dumps([to_tensorboard(s) for s in states], separators=(",", ":"), allow_nan=False)


class _Reader:
    """Complaints about one state object, naming the bookmark and, when known, the file."""

    def __init__(self, obj: Any, position: int | None, filename: str | None) -> None:
        where = f" from {filename}" if filename else ""
        label = obj.get("label") if isinstance(obj, dict) else None
        if isinstance(label, str) and label:
            self.name = f"bookmark '{label}'"
        else:
            self.name = "the bookmark" if position is None else f"bookmark {position + 1}"
        self.prefix = f"Cannot load bookmarks{where}: "

    def fail(self, problem: str, action: str) -> BookmarkError:
        return BookmarkError(f"{self.prefix}{self.name} {problem}. {action}")

    def indices(self, key: str, value: Any, limit: int, verb: str, scope: str = "this tensor") -> list[int]:
        if not isinstance(value, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in value):
            raise self.fail(f"has a {key} that is not a list of point numbers", "Save the bookmark again.")
        for i in value:
            if not 0 <= i < limit:
                raise self.fail(
                    f"{verb} point {i:,}, {scope} has {limit:,} points", "Open the tensor the bookmark was made for."
                )
        return list(value)


def from_tensorboard(obj: dict[str, Any], *, n_points: int | None = None, n_dims: int | None = None) -> ViewState:
    """A :class:`ViewState` from one ``State`` object written by TensorBoard or by :func:`to_tensorboard`.

    ``n_points`` / ``n_dims``: the open tensor's shape, checked against the bookmark when given; needed for a
    bookmark TensorBoard saved with an isolated subset, which records only the subset size.
    """
    return _read_state(obj, None, n_points, n_dims, None)


def _read_state(
    obj: Any, position: int | None, n_points: int | None, n_dims: int | None, filename: str | None
) -> ViewState:
    reader = _Reader(obj, position, filename)
    if not isinstance(obj, dict):
        raise reader.fail(f"is {_json_kind(obj)}, not a state object", "Load a file saved by a projector.")
    ns = obj.get(NAMESPACE)
    if ns is not None and (
        not isinstance(ns, dict) or not isinstance(ns.get("version"), int) or ns["version"] > FORMAT_VERSION
    ):
        log.warning("Ignoring the %r fields of %s: written by a newer projector or damaged", NAMESPACE, reader.name)
        ns = None
    method = obj.get("selectedProjection")
    if method not in METHODS:
        raise reader.fail(f"uses projection {method!r}", f"Expected one of {', '.join(METHODS)}.")

    shape = obj.get("dataSetDimensions")
    if not isinstance(shape, list) or len(shape) != 2 or not all(map(_is_index, shape)):
        raise reader.fail("has no dataSetDimensions [points, dimensions]", "Save the bookmark again.")
    projections = obj.get("projections")
    if not isinstance(projections, list) or not all(isinstance(p, dict) for p in projections):
        raise reader.fail("has no projections list of one object per point", "Save the bookmark again.")
    filtered: Any = obj.get("filteredPoints")  # JSON, checked below
    subset = bool(filtered) and isinstance(filtered, list) and len(projections) == len(filtered)
    n = n_points if n_points is not None else int(shape[0])
    d = n_dims if n_dims is not None else int(shape[1])
    if n_points is not None and shape != [n, d] and not (subset and shape == [len(filtered), d]):
        made_for = _made_for(ns)
        raise reader.fail(
            f"was saved for {shape[0]:,} × {shape[1]:,} points, this tensor is {n:,} × {d:,}",
            f"Open the tensor it was made for{made_for}.",
        )
    if (
        n_points is None
        and subset
        and shape[0] == len(filtered)
        and all(isinstance(i, int) for i in filtered)
        and max(filtered) >= n
    ):
        raise reader.fail(
            "was saved by TensorBoard from an isolated subset and does not record the dataset size",
            "Load it with its tensor open.",
        )
    isolated = None if filtered is None else reader.indices("filteredPoints", filtered, n, "isolates")
    if isolated == [] and ns is None:  # TensorBoard's "no isolation" after a reset
        isolated = None
    if isolated is not None and len(set(isolated)) != len(isolated):
        raise reader.fail("isolates the same point twice", "Save the bookmark again.")
    if not subset and len(projections) != n:
        raise reader.fail(
            f"holds coordinates for {len(projections):,} points, this tensor has {n:,}",
            "Open the tensor the bookmark was made for.",
        )
    rows: Sequence[int] = isolated if subset and isolated is not None else range(n)

    dimension: Any = ns.get("dimension") if ns is not None else None
    pca_components: Any = ns.get("pcaComponents") if ns is not None else None
    if pca_components is None:
        tb_components = obj.get("pcaComponentDimensions")
        pca_components = tb_components if isinstance(tb_components, list) or method == "pca" else [0, 1, 2]
    if dimension is None:
        if method == "pca":
            dimension = len(pca_components) if isinstance(pca_components, list) else None
        elif method in ("tsne", "umap"):
            dimension = 3 if obj.get("tSNEis3d" if method == "tsne" else "umapIs3d", True) else 2
        else:
            dimension = 2
    usable = (
        _is_index(dimension)
        and dimension in (2, 3)
        and isinstance(pca_components, list)
        and len(pca_components) >= (dimension if method == "pca" else 2)
        and all(map(_is_index, pca_components))
    )
    if not usable:
        raise reader.fail("has no usable projection dimensions (pcaComponentDimensions)", "Save the bookmark again.")
    coords = _coords(reader, projections, rows, n, projection_keys(method, dimension, pca_components))
    if ns is not None and not ns.get("hasCoords", True):
        coords = None

    if ns is not None and "selected" in ns:
        selected = reader.indices("selection", ns["selected"], n, "selects")
    elif subset:
        positions = reader.indices(
            "selectedPoints", obj.get("selectedPoints") or [], len(rows), "selects", scope="its isolated subset"
        )
        selected = [rows[p] for p in positions]
    else:
        selected = reader.indices("selectedPoints", obj.get("selectedPoints") or [], n, "selects")
    if ns is None:
        extras = _tensorboard_extras(obj, d)
    else:
        extras = {
            "color_by": ns.get("colorBy"),
            "categorical": bool(ns.get("categorical", obj.get("forceCategoricalColoring"))),
            "label_by": ns.get("labelBy"),
            "tsne": _saved(TSNE_DEFAULTS, ns.get("tsne")),
            "umap": {**UMAP_DEFAULTS, **_saved(UMAP_DEFAULTS, ns.get("umap"))},  # older files: no "aligned"
            "custom": _saved_custom(ns.get("custom")),
            "search": _saved(SEARCH_DEFAULTS, ns.get("search")),
            "camera": ns.get("camera") if isinstance(ns.get("camera"), dict) else None,
            "spherize": bool(ns.get("spherize")),
            "run": _text(ns.get("run")),
            "tensor": _text(ns.get("tensor")),
            "step": ns.get("step") if _is_index(ns.get("step")) else None,
            "compare": _text(ns.get("compare"), MAX_CHOICE),
            "compare_by": _text(ns.get("compareBy"), MAX_CHOICE),
            "compare_color": bool(ns.get("compareColor")),
            "clusters": cluster_settings(ns.get("clusters")),
        }
    if "iteration" in extras["tsne"] or _iteration(obj.get("tSNEIteration")):
        # The State's own field describes its projections, which are what is restored; our copy under
        # NAMESPACE is stale when TensorBoard ran t-SNE further and saved the bookmark again.
        extras["tsne"]["iteration"] = _iteration(obj.get("tSNEIteration", extras["tsne"].get("iteration")))
    label = obj.get("label")
    return ViewState(
        label=label if isinstance(label, str) else "",
        method=method,
        dimension=dimension,
        coords=coords,
        n_points=n,
        n_dims=d,
        filtered=isolated,
        selected=selected,
        pca_components=list(pca_components),
        **extras,
    )


def _coords(
    reader: _Reader, projections: list[dict[str, Any]], rows: Sequence[int], n: int, keys: list[str]
) -> np.ndarray | None:
    """float32 (n, len(keys)); NaN where a point has no value. None when no point has any."""
    values = np.full((n, len(keys)), np.nan, dtype=np.float64)
    found = False
    for row, point in zip(rows, projections):
        for j, key in enumerate(keys):
            value = point.get(key)
            if value is None:
                continue
            try:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError
                values[row, j] = float(value)
            except (TypeError, OverflowError):
                raise reader.fail(
                    f"has {key} = {value!r:.40} for point {row:,}, not a number", "Save the bookmark again."
                ) from None
            found = True
    if not found:
        return None
    with np.errstate(over="ignore"):
        return values.astype(np.float32)


def _tensorboard_extras(obj: dict[str, Any], n_dims: int) -> dict[str, Any]:
    """Our fields as TensorBoard's State gives them, with our defaults where it has none."""
    color = obj.get("selectedColorOptionName")
    perplexity = _number(obj.get("tSNEPerplexity"), 0.0)
    rate = _number(obj.get("tSNELearningRate"), 0.0)
    iteration = _iteration(obj.get("tSNEIteration"))
    neighbors = _number(obj.get("umapNeighbors"), 0.0)
    min_dist = _number(obj.get("umapMinDist"), -1.0)
    custom: dict[str, Any] = {"column": _text(obj.get("customSelectedSearchByMetadataOption")) or None}
    for side, key in _TB_SIDES:
        custom[side] = _text(obj.get(f"custom{key}Text")) or ""
        custom[f"{side}_regex"] = bool(obj.get(f"custom{key}Regex"))
    return {
        "color_by": None if color in (None, "", NO_COLOR) else str(color),
        "categorical": bool(obj.get("forceCategoricalColoring")),
        "label_by": _text(obj.get("selectedLabelOption")) or None,
        "tsne": {
            **TSNE_DEFAULTS,
            "perplexity": perplexity if perplexity > 0 else TSNE_DEFAULTS["perplexity"],
            "learning_rate": rate if rate > 0 and rate != TB_LEARNING_RATE else TSNE_DEFAULTS["learning_rate"],
            "iterations": iteration if iteration >= 10 else TSNE_DEFAULTS["iterations"],
            "iteration": iteration,
        },
        "umap": {
            **UMAP_DEFAULTS,
            "n_neighbors": int(neighbors) if neighbors >= 2 else UMAP_DEFAULTS["n_neighbors"],
            "min_dist": min_dist if 0 <= min_dist <= 1 else UMAP_DEFAULTS["min_dist"],
        },
        "custom": custom,
        "search": dict(SEARCH_DEFAULTS),
        "camera": _plotly_camera(obj.get("cameraDef")),
        "spherize": n_dims >= TB_SPHERIZE_DIMS,
        "run": None,
        "tensor": None,
        "step": None,
    }


def _saved_custom(value: Any) -> dict[str, Any]:
    """Our saved custom searches; a file from before each search had its own regex switch had one for all."""
    custom = _saved(CUSTOM_DEFAULTS, value)
    shared = custom.pop("regex", None)
    for side, _ in _TB_SIDES:
        custom.setdefault(f"{side}_regex", bool(shared))
    return custom


def _saved(defaults: dict[str, Any], value: Any) -> dict[str, Any]:
    """Our saved dict as it was written; the defaults when it is missing."""
    return dict(value) if isinstance(value, dict) else dict(defaults)


def _iteration(value: Any) -> int:
    """A t-SNE iteration count from JSON (or a form): a whole number up to MAX_TSNE_ITERATION, else 0."""
    number = _number(value)
    return int(number) if number is not None and 0 <= number <= MAX_TSNE_ITERATION else 0


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: Any, longest: int | None = None) -> str | None:
    """A string from the file (at most ``longest`` characters when given), else None."""
    return value if isinstance(value, str) and (longest is None or len(value) <= longest) else None


def cluster_settings(value: Any) -> dict[str, Any] | None:
    """A saved cluster run's settings (a source, a minimum size or None, a column or None), or None when the
    file holds none it could make again."""
    if not isinstance(value, dict) or value.get("source") not in SOURCES:
        return None
    size = value.get("min_size")
    return {
        "source": value["source"],
        "min_size": size if isinstance(size, int) and _is_index(size) and size >= 2 else None,
        "name_by": _text(value.get("name_by"), MAX_CHOICE),
    }


def _made_for(ns: dict[str, Any] | None) -> str:
    if ns is None or not isinstance(ns.get("tensor"), str):
        return ""
    run = f" of run '{ns['run']}'" if isinstance(ns.get("run"), str) else ""
    return f" (tensor '{ns['tensor']}'{run})"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _size(n_bytes: int) -> str:
    if n_bytes >= 2**20:
        return f"{n_bytes / 2**20:,.1f} MiB"
    return f"{n_bytes / 2**10:,.1f} KiB" if n_bytes >= 2**10 else f"{n_bytes:,} bytes"


def loads(
    text: str | bytes, n_points: int, n_dims: int, *, max_bytes: int = MAX_BYTES, filename: str | None = None
) -> list[ViewState]:
    """Bookmarks from a file's content, checked against the open ``n_points`` × ``n_dims`` tensor.

    Accepts TensorBoard's JSON array of ``State`` objects or a single ``State`` object. Raises
    :class:`BookmarkError` naming the problem (and ``filename`` when given).
    """
    where = f" from {filename}" if filename else ""
    prefix = f"Cannot load bookmarks{where}: "
    size = len(text) if isinstance(text, bytes) or len(text) <= max_bytes // 4 else len(text.encode("utf-8", "replace"))
    if size > max_bytes:
        raise BookmarkError(
            f"{prefix}the file is {_size(size)} ({size:,} bytes), over the {_size(max_bytes)} limit. "
            "Save fewer bookmarks per file."
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise BookmarkError(
                f"{prefix}the file is not UTF-8 text (byte {error.start:,}). Load the JSON file the projector saved."
            ) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise BookmarkError(f"{prefix}the file is empty. Load the JSON file the projector saved.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BookmarkError(
            f"{prefix}the file is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}. Fix the file there or save the bookmarks again."
        ) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise BookmarkError(
            f"{prefix}the file holds {_json_kind(data)}, not a JSON array of bookmarks "
            "(TensorBoard's State objects). Load a file saved by a projector's bookmark panel."
        )
    return [_read_state(obj, i, n_points, n_dims, filename) for i, obj in enumerate(data)]


def read_bookmarks_file(logdir: str | Path, path: str | Path, n_points: int, n_dims: int) -> list[ViewState]:
    """The bookmarks a config's ``bookmarks_path`` names; PathError if it resolves outside the logdir."""
    from projector.logdir import confine, display_path

    shown = display_path(logdir, path)
    resolved = confine(logdir, path)
    try:
        raw = resolved.read_bytes()
    except OSError as error:
        raise BookmarkError(f"{shown}: cannot read the bookmarks file ({error.strerror}).") from None
    return loads(raw, n_points, n_dims, filename=shown)


def full_coords(coords: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Per-dataset-row coordinates: the plotted ones in place, NaN for rows not on screen."""
    out = np.full((n, coords.shape[1]), np.nan, dtype=np.float32)
    out[rows] = coords
    return out


def restored_layout(state: ViewState, title: str, n: int, dim: int) -> tuple[np.ndarray | None, np.ndarray]:
    """The isolated rows (None: every row) and the coordinates of the rows in view that a bookmark restores.

    BookmarkError when it was saved for a tensor of another shape or lacks coordinates of a row in view.
    """
    if (state.n_points, state.n_dims) != (n, dim):
        raise BookmarkError(
            f"Bookmark '{title}' was saved for {state.n_points:,} × {state.n_dims:,} points; this tensor is "
            f"{n:,} × {dim:,}."
        )
    subset = None if state.filtered is None else np.unique(np.asarray(state.filtered, dtype=np.int64))
    rows = np.arange(n) if subset is None else subset
    coords = np.asarray(state.coords, dtype=np.float32)[rows]
    if coords.size and not np.isfinite(coords).all():
        raise BookmarkError(f"Bookmark '{title}' lacks coordinates for some of its points.")
    return subset, coords


def restored_record(state: ViewState, title: str) -> dict[str, Any]:
    """The result-cache meta of the layout restored from bookmark ``title``: the title and, for t-SNE, the
    ``iteration`` it was saved at, as a finished job's meta has it (what :func:`restored_status` reads)."""
    record: dict[str, Any] = {"bookmark": title}
    if state.tsne_iteration is not None:
        record["iteration"] = state.tsne_iteration
    return record


def restored_status(dimension: int, record: Mapping[str, Any] | None) -> str:
    """The projection tab's status line for a restored layout, from its result-cache meta ``record``:
    ``Restored from a bookmark (2D) at iteration 948.`` for t-SNE, as TensorBoard shows the iteration."""
    iteration = record.get("iteration") if isinstance(record, Mapping) else None
    at = f" at iteration {iteration}" if _is_index(iteration) and iteration else ""
    return f"Restored from a bookmark ({int(dimension)}D){at}."
