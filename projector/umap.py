"""UMAP with umap-learn on every point, reporting its stages and epochs as it optimises.

umap-learn has no callback. Its layout optimiser's only per-epoch hook is the tqdm progress bar it wraps
around the epoch loop, so the optimisation is run here with a tqdm bar whose output goes to a small text
stream that reads the bar's ``"k/n"`` and calls ``on_progress``; a stop request raises from that stream,
which leaves the epoch loop between two epochs. To hold the layout being optimised (and so return it when
stopped), :class:`_ReportingUMAP` replaces ``UMAP._fit_embed_data`` (the hook umap-learn documents for
subclasses) with the steps of ``umap.umap_.simplicial_set_embedding`` for the spectral initialisation and
Euclidean output used here. ``tests/test_umap.py`` checks that the result still equals umap-learn's own.

umap-learn is imported lazily: the import (~1.5 s) and numba's compilation on the first fit (~6 s, plus
~17 s for pynndescent's the first time 4,096 or more points are laid out) are paid once per process;
:func:`warm_up` pays them before a user waits.

Job processes are forked from the process that warmed up (the server, a Celery worker's parent), so numba
runs on its ``workqueue`` threading layer, which is fork-safe: its default on Linux, GNU OpenMP, aborts any
forked child that runs parallel code once the parent has ("fork() called from a process already using GNU
OpenMP"). ``tbb`` is fork-safe too and is kept when ``NUMBA_THREADING_LAYER`` asks for it.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import threading
from dataclasses import asdict, dataclass
from typing import Any, Callable, TypeVar

import numpy as np

from projector.errors import InputError

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], bool]  # (stage, done, total) -> True to stop
_Number = TypeVar("_Number", int, float)

NEIGHBOURS = "finding neighbours"
INITIALISING = "initialising layout"
OPTIMISING = "optimising layout"
PROGRESS_STEPS = 50  # epoch reports per run (one every n_epochs / 50 epochs, and the last)
MAX_SEED = 2**32 - 1
FORK_SAFE_LAYERS = ("workqueue", "tbb")  # numba threading layers a forked child may use after its parent
MAX_NEIGHBORS = 200  # a bound on one run's memory and time on a shared server
APPROXIMATE_FROM = 4097  # points from which umap-learn finds neighbours with pynndescent
FOREST_DIM = 72  # 4,097 such vectors exceed pynndescent's 1 MB local subtree, so its forest splits nodes


@dataclass(frozen=True)
class UMAPParams:
    """What a UMAP run depends on; equal parameters give the same layout."""

    n_components: int = 2
    n_neighbors: int = 15
    min_dist: float = 0.1
    random_state: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_DEFAULT = UMAPParams()
FORM_DEFAULTS = {
    "n_neighbors": _DEFAULT.n_neighbors,
    "min_dist": _DEFAULT.min_dist,
    "seed": _DEFAULT.random_state,
    "aligned": True,  # a tensor saved at several steps is laid out over all of them (projector.aligned_umap)
}


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_params(params: UMAPParams, n: int) -> tuple[UMAPParams, str | None]:
    """Validated parameters for ``n`` points, and a note when ``n_neighbors`` had to be lowered to n − 1."""
    if n < 4:
        raise InputError(f"UMAP needs at least 4 points; this view has {n}.")
    if params.n_components not in (2, 3):
        raise InputError(f"UMAP dimension must be 2 or 3, got {params.n_components!r}.")
    if not _is_int(params.n_neighbors) or not 2 <= params.n_neighbors <= MAX_NEIGHBORS:
        raise InputError(f"Neighbors must be a whole number from 2 to {MAX_NEIGHBORS}, got {params.n_neighbors!r}.")
    min_dist = params.min_dist
    if isinstance(min_dist, bool) or not isinstance(min_dist, (int, float, np.number)) or not 0.0 <= min_dist <= 1.0:
        raise InputError(f"Min distance must be between 0 and 1, got {params.min_dist!r}.")
    if not _is_int(params.random_state) or not 0 <= params.random_state <= MAX_SEED:
        raise InputError(f"Seed must be a whole number from 0 to {MAX_SEED}, got {params.random_state!r}.")
    if params.n_neighbors > n - 1:
        clamped = UMAPParams(**{**params.as_dict(), "n_neighbors": n - 1})
        return clamped, f"Neighbors {params.n_neighbors} is too many for {n:,} points; using {n - 1}."
    return params, None


def params_from_form(dimension: Any, n_neighbors: Any, min_dist: Any, seed: Any) -> UMAPParams:
    """Parameters from the panel's inputs; InputError names the field that cannot be used."""

    def number(value: Any, name: str, kind: type[_Number]) -> _Number:
        try:
            if value is None or str(value).strip() == "":
                raise ValueError
            parsed = float(value)
            if kind is int and parsed != int(parsed):
                raise ValueError
            return kind(parsed)
        except (TypeError, ValueError, OverflowError):
            article = "a whole number" if kind is int else "a number"
            raise InputError(f"{name} must be {article}, got {value!r}.") from None

    return UMAPParams(
        n_components=int(dimension or 2),
        n_neighbors=number(n_neighbors, "Neighbors", int),
        min_dist=number(min_dist, "Min distance", float),
        random_state=number(seed if seed not in (None, "") else 0, "Seed", int),
    )


def fork_safe_threading_layer() -> str:
    """Make numba run parallel code on a fork-safe threading layer (before its first parallel run); its name.

    ``NUMBA_THREADING_LAYER`` is kept when it names one of :data:`FORK_SAFE_LAYERS`; anything else (``omp``,
    ``default``, unset) becomes ``workqueue``.
    """
    asked = os.environ.get("NUMBA_THREADING_LAYER", "").strip().lower()
    layer = asked if asked in FORK_SAFE_LAYERS else "workqueue"
    if asked and asked != layer:
        log.warning("NUMBA_THREADING_LAYER=%s is not fork-safe for job processes; using %s", asked, layer)
    os.environ["NUMBA_THREADING_LAYER"] = layer  # read when numba is imported
    if "numba" in sys.modules:  # imported already: the layer is chosen at the first parallel run
        sys.modules["numba"].config.THREADING_LAYER = layer
    return layer


def import_umap() -> Any:
    """umap-learn without its Keras-based ParametricUMAP, which would import TensorFlow (~1.5 s, ~0.5 GB).

    ``umap/__init__.py`` treats a failed ``parametric_umap`` import as "TensorFlow not installed"; a
    ``None`` entry in ``sys.modules`` makes that import fail. Nothing here uses ParametricUMAP.
    """
    fork_safe_threading_layer()
    if "umap" not in sys.modules and "tensorflow" not in sys.modules:
        sys.modules.setdefault("umap.parametric_umap", None)  # type: ignore[arg-type]
    try:
        import umap
    except ImportError as error:
        raise InputError(f"UMAP needs umap-learn: pip install umap-learn ({error}).") from None
    return umap


class Interrupt(Exception):
    """Raised through umap-learn's epoch loop to stop it between two epochs."""


class Run:
    """One layout in progress: the stop state, the layout being optimised and the progress callback."""

    def __init__(self, on_progress: ProgressCallback | None) -> None:
        self.on_progress = on_progress
        self.stopped = False
        self.layout: np.ndarray | None = None
        self.epoch = 0

    def stage(self, text: str, done: int, total: int) -> bool:
        """Report progress; True once a stop was asked (the callback is not called after that)."""
        if not self.stopped and self.on_progress is not None:
            self.stopped = bool(self.on_progress(text, done, total))
        return self.stopped

    def embed(self, model: Any, data: np.ndarray, n_epochs: int | None, random_state: Any) -> np.ndarray:
        """``simplicial_set_embedding`` for a spectral init and Euclidean output, optimising ``self.layout``.

        The steps (and the draws from ``random_state``) are umap-learn 0.5's, so the result is its own.
        """
        from umap.layouts import optimize_layout_euclidean
        from umap.spectral import spectral_layout
        from umap.umap_ import (
            INT32_MAX,
            INT32_MIN,
            make_epochs_per_sample,
            noisy_scale_coords,
        )

        self.stage(NEIGHBOURS, 1, 1)
        self.stage(INITIALISING, 0, 1)
        graph = model.graph_.tocoo()
        graph.sum_duplicates()
        default_epochs = 500 if graph.shape[0] <= 10_000 else 200
        n_epochs = default_epochs if n_epochs is None else n_epochs
        cut = n_epochs if n_epochs > 10 else default_epochs  # edges too weak to be sampled once are dropped
        graph.data[graph.data < graph.data.max() / float(cut)] = 0.0
        graph.eliminate_zeros()
        start = spectral_layout(
            data,
            graph,
            model.n_components,
            random_state,
            metric=model._input_distance_func,
            metric_kwds=model._metric_kwds,
        )
        start = noisy_scale_coords(start, random_state, max_coord=10, noise=0.0001)
        epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
        rng_state = random_state.randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
        low, high = np.min(start, 0), np.max(start, 0)
        self.layout = (10.0 * (start - low) / (high - low)).astype(np.float32, order="C")
        if self.stage(OPTIMISING, 0, n_epochs):
            return self.layout
        tqdm_kwds = {
            "file": EpochStream(self, n_epochs),
            "bar_format": "{n}/{total}",
            "disable": False,
            "mininterval": 0,
            "miniters": 1,
            "delay": 0,
            "leave": False,
        }
        try:
            optimize_layout_euclidean(
                self.layout,
                self.layout,
                graph.row,
                graph.col,
                n_epochs,
                graph.shape[1],
                epochs_per_sample,
                model._a,
                model._b,
                rng_state,
                model.repulsion_strength,
                model._initial_alpha,
                model.negative_sample_rate,
                parallel=False,
                verbose=False,
                tqdm_kwds=tqdm_kwds,
                move_other=True,
            )
            self.epoch = n_epochs
        except Interrupt:
            log.info("UMAP stopped at epoch %d of %d", self.epoch, n_epochs)
        return self.layout


class EpochStream:
    """A text stream for tqdm: turns its ``"k/n"`` output into ``OPTIMISING`` reports, raises to stop.

    Only writes from the thread running the layout count (tqdm's monitor thread may also write).
    """

    _COUNT = re.compile(r"(\d+)/(\d+)")

    def __init__(self, run: Run, n_epochs: int) -> None:
        self.run = run
        self.every = max(1, n_epochs // PROGRESS_STEPS)
        self.thread = threading.get_ident()

    def write(self, text: str) -> None:
        counts = self._COUNT.findall(text)
        if not counts or self.run.stopped or threading.get_ident() != self.thread:
            return
        done, total = map(int, counts[-1])
        if done <= self.run.epoch:
            return
        self.run.epoch = done
        if done % self.every == 0 or done == total:
            if self.run.stage(OPTIMISING, done, total):
                raise Interrupt

    def flush(self) -> None:
        pass


@functools.cache
def _reporting_umap_class() -> Any:
    base: Any = import_umap().UMAP

    class _ReportingUMAP(base):  # type: ignore[misc]  # umap-learn is untyped
        """``umap.UMAP`` whose embedding step is :meth:`Run.embed` (set ``_projector_run`` first)."""

        _projector_run: Run

        def _fit_embed_data(
            self, X: np.ndarray, n_epochs: int | None, init: Any, random_state: Any, **kwargs: Any
        ) -> tuple[np.ndarray, dict[str, Any]]:
            return self._projector_run.embed(self, X, n_epochs, random_state), {}

    return _ReportingUMAP


def as_matrix(vectors: np.ndarray) -> np.ndarray:
    data = np.asarray(vectors)
    if data.ndim != 2 or data.shape[1] == 0:
        raise InputError(f"UMAP needs an N×D matrix of vectors, got an array of shape {data.shape}.")
    if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
        raise InputError(f"UMAP needs real numbers, got dtype {data.dtype}.")
    data = data.astype(np.float32, copy=False)
    if not np.all(np.isfinite(data)):
        raise InputError("UMAP needs finite vectors; the tensor holds NaN or infinite values.")
    return data


def umap_layout(
    vectors: np.ndarray,
    params: UMAPParams,
    on_progress: ProgressCallback | None = None,
) -> np.ndarray:
    """UMAP layout of ``vectors`` (float32, N × ``n_components``), Euclidean, spectral initialisation.

    ``on_progress(stage, done, total)`` is called with ``("finding neighbours", 0, 1)``, then
    ``("finding neighbours", 1, 1)``, ``("initialising layout", 0, 1)``, and
    ``("optimising layout", epoch, n_epochs)`` from epoch 0 to ``n_epochs`` (about 50 reports; umap-learn
    runs 500 epochs up to 10,000 points, 200 above). Returning True stops the run: the layout reached so
    far is returned (epochs done so far; the callback is not called again). Finding neighbours and the
    spectral initialisation cannot be interrupted, so a stop asked during them returns the initial layout.
    Deterministic for a given ``random_state`` (which makes umap-learn single-threaded).
    """
    data = as_matrix(vectors)
    params, note = check_params(params, len(data))
    if note:
        log.info(note)
    if float(np.ptp(data, axis=0).max()) == 0.0:
        raise InputError("UMAP cannot lay out points whose vectors are all identical.")
    run = Run(on_progress)
    run.stage(NEIGHBOURS, 0, 1)
    model = _reporting_umap_class()(
        n_components=params.n_components,
        n_neighbors=params.n_neighbors,
        min_dist=float(params.min_dist),
        random_state=params.random_state,
        n_jobs=1,
        init="spectral",
        metric="euclidean",
    )
    model._projector_run = run
    model.fit(data)
    # umap-learn sets points left without any edge to NaN; they keep their initial place here.
    return np.ascontiguousarray(run.layout, dtype=np.float32)


def warm_up(approximate_neighbours: bool = True) -> None:
    """Import umap-learn and compile its numba code with small fits, before a user waits for a layout.

    With ``approximate_neighbours`` the second fit has more than 4,096 points, umap-learn's threshold for
    pynndescent, and more than 1 MB of them, the size above which pynndescent's forest splits its nodes
    with random planes rather than in one local subtree: its descent (~17 s) and those splits (~6 s)
    compile only on data that large. Compiled code is inherited by job processes forked afterwards.
    """
    rng = np.random.default_rng(0)
    for n, dim in ((40, 4), (APPROXIMATE_FROM, FOREST_DIM)) if approximate_neighbours else ((40, 4),):
        umap_layout(rng.normal(size=(n, dim)).astype(np.float32), UMAPParams(n_neighbors=5))
