"""t-SNE with openTSNE on every point, reporting intermediate layouts as it optimises.

Beyond plain t-SNE, as TensorBoard's projector has it: supervision by a metadata column (label-aware
affinities), continuing from a layout reached before (resume, perturb) and runs that go on until stopped.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, cast

import numpy as np
import pandas as pd

from projector.errors import InputError

log = logging.getLogger(__name__)

MAX_PERPLEXITY = 100  # as TensorBoard's slider
MAX_ITERATIONS = 10_000  # a bound on one run's time on a shared server (runs until stopped have none)
MAX_EARLY_EXAGGERATION = 250
OPEN_CHUNK = 1_000  # iterations per optimisation call of a run that goes on until stopped
PERTURBATION = 0.05  # a nudge moves each coordinate by at most this share of the layout's radius
FrameCallback = Callable[[int, np.ndarray], bool]  # (iteration, layout) -> True to stop


@dataclass(frozen=True)
class TSNEParams:
    """What a t-SNE run depends on; equal parameters and seed give the same layout.

    ``n_iter`` None runs until stopped. ``supervise_column`` names the metadata column whose labels draw
    points together (same label) or apart (different labels), with ``supervise_weight`` percent (0–100).
    """

    n_components: int = 2
    perplexity: float = 30.0
    learning_rate: float | str = "auto"
    n_iter: int | None = 500
    early_exaggeration_iter: int = MAX_EARLY_EXAGGERATION
    random_state: int = 0
    supervise_column: str = ""
    supervise_weight: float = 0.0

    @property
    def supervised(self) -> bool:
        return bool(self.supervise_column) and self.supervise_weight > 0

    @property
    def total(self) -> int | None:
        """Every iteration of the run, early exaggeration included; None until stopped."""
        return None if self.n_iter is None else self.early_exaggeration_iter + self.n_iter

    def as_dict(self) -> dict[str, Any]:
        """The parameters as a dict; without the supervision fields when unsupervised (the result-cache key
        of an unsupervised run does not depend on a column it does not use)."""
        values = asdict(self)
        if not self.supervised:
            del values["supervise_column"], values["supervise_weight"]
        return values


_DEFAULT = TSNEParams()
# The panel's fields for the default parameters ("iterations" counts every step, early exaggeration included).
FORM_DEFAULTS: dict[str, Any] = {
    "perplexity": _DEFAULT.perplexity,
    "learning_rate": _DEFAULT.learning_rate,
    "iterations": _DEFAULT.total,
    "seed": _DEFAULT.random_state,
    "supervise_column": _DEFAULT.supervise_column,
    "supervise_weight": _DEFAULT.supervise_weight,
}


@dataclass(frozen=True)
class Start:
    """Where a continued run begins: a layout (N × k) reached at ``iteration`` by a run whose early
    exaggeration lasted ``early_exaggeration_iter`` iterations (None: as the new run's parameters say)."""

    layout: np.ndarray
    iteration: int
    early_exaggeration_iter: int | None = None


def max_perplexity(n: int) -> float:
    """The largest perplexity openTSNE accepts for ``n`` points (it needs 3 × perplexity < n − 1)."""
    return max((n - 1) / 3.0 - 1e-6, 1.0)


def check_params(params: TSNEParams, n: int) -> tuple[TSNEParams, str | None]:
    """Validated parameters for ``n`` points, and a note when the perplexity had to be lowered."""
    if n < 4:
        raise InputError(f"t-SNE needs at least 4 points; this view has {n}.")
    if params.n_components not in (2, 3):
        raise InputError(f"t-SNE dimension must be 2 or 3, got {params.n_components!r}.")
    if not 0 < params.perplexity <= MAX_PERPLEXITY:
        raise InputError(f"Perplexity must be above 0 and at most {MAX_PERPLEXITY}, got {params.perplexity!r}.")
    if (params.n_iter is not None and params.n_iter < 1) or params.early_exaggeration_iter < 0:
        raise InputError(f"Iterations must be at least 1, got {params.n_iter!r}.")
    if params.total is not None and params.total > MAX_ITERATIONS:
        raise InputError(f"Iterations must be at most {MAX_ITERATIONS:,}, got {params.total:,}.")
    if params.learning_rate != "auto" and not float(params.learning_rate) > 0:
        raise InputError(f"Learning rate must be 'auto' or a positive number, got {params.learning_rate!r}.")
    if not 0 <= params.supervise_weight <= 100:
        raise InputError(f"Supervision weight must be between 0 and 100 %, got {params.supervise_weight!r}.")
    limit = max_perplexity(n)
    if params.perplexity > limit:
        usable = math.floor(limit * 100) / 100  # rounded down: openTSNE needs 3 × perplexity ≤ n − 1
        clamped = replace(params, perplexity=usable)
        note = f"Perplexity {params.perplexity:g} is too large for {n:,} points; using {clamped.perplexity:g}."
        return clamped, note
    return params, None


def supervise_labels(metadata: pd.DataFrame, column: str, rows: np.ndarray | None = None) -> np.ndarray:
    """The labels of ``column`` for ``rows`` (every row when None) as strings; "" where a cell is empty."""
    if column not in metadata.columns:
        choices = ", ".join(map(str, metadata.columns)) or "none"
        raise InputError(f"Cannot supervise t-SNE with {column!r}: not a metadata column (columns: {choices}).")
    values = metadata[column] if rows is None else metadata[column].iloc[rows]
    return np.asarray(values.map(lambda v: "" if pd.isna(v) else str(v).strip()), dtype=object)


def supervised_affinities(p: Any, labels: np.ndarray, weight: float) -> Any:
    """Label-aware affinities, after TensorBoard's supervised t-SNE: the prior of a pair sharing a label is
    1/N + w/n_same, of a pair with different labels max(1/N − w/n_other, 1e-7), and 1/N when either point
    is unlabeled (""), where w is ``weight`` (0–100 %) as a share. ``p`` is reweighted by that prior, then
    made symmetric again and normalised to sum to 1. ``p`` and the result are SciPy sparse matrices (CSR)."""
    import scipy.sparse as sp  # type: ignore[import-untyped]

    n = p.shape[0]
    share = float(weight) / 100.0
    labels = np.asarray(labels, dtype=object)
    unlabeled = labels == ""
    codes, counts = np.unique(labels.astype(str), return_inverse=True, return_counts=True)[1:]
    same = counts[codes].astype(np.float64)
    other = np.maximum(n - same - unlabeled.sum(), 1.0)
    pairs = sp.coo_matrix(p)
    i, j = pairs.row, pairs.col
    prior = np.where(
        codes[i] == codes[j],
        np.minimum(1.0 / n + share / same[i], 1 - 1e-7),
        np.maximum(1.0 / n - share / other[i], 1e-7),
    )
    prior[unlabeled[i] | unlabeled[j]] = 1.0 / n
    weighted = sp.csr_matrix((pairs.data * prior, (i, j)), shape=p.shape)
    symmetric = (weighted + weighted.T) / 2
    return sp.csr_matrix(symmetric / symmetric.sum())


def perturb(layout: np.ndarray, seed: int | None = None) -> np.ndarray:
    """``layout`` nudged as TensorBoard's Perturb does: each coordinate moved by a uniform random amount of
    at most 5 % of the layout's radius (its farthest point from the centre), then centred again."""
    layout = np.asarray(layout, dtype=np.float64)
    centred = layout - layout.mean(axis=0)
    radius = float(np.sqrt((centred**2).sum(axis=1).max(initial=0.0)))
    noise = np.random.default_rng(seed).uniform(-PERTURBATION, PERTURBATION, size=layout.shape) * radius
    moved = centred + noise
    return cast(np.ndarray, moved - moved.mean(axis=0))


# What a continued run may change: how long it goes on.
_LENGTH = ("n_iter", "early_exaggeration_iter")


def can_continue(meta: Mapping[str, Any] | None, params: TSNEParams) -> bool:
    """Whether a stored layout (its result-cache ``meta``) can be continued by a run of ``params``: a run,
    stopped or finished, of the same settings but perhaps another iteration count, short of ``params``' total."""
    if not meta or not isinstance(meta.get("iteration"), int):
        return False
    wanted = {name: value for name, value in params.as_dict().items() if name not in _LENGTH}
    stored = {name: meta.get(name) for name in wanted}
    extra = {"supervise_column", "supervise_weight"} & set(meta) - set(wanted)  # a supervised run's layout
    return stored == wanted and not extra and (params.total is None or meta["iteration"] < params.total)


def phase_params(params: TSNEParams, start: Start | None) -> TSNEParams:
    """The phases of a run continuing ``start``: the early exaggeration of the run it continues (not repeated
    when that run had passed it), then the normal phase up to ``params``' total."""
    if start is None or start.early_exaggeration_iter is None:
        return params
    total = params.total
    early = start.early_exaggeration_iter if total is None else min(start.early_exaggeration_iter, total)
    return replace(params, early_exaggeration_iter=early, n_iter=None if total is None else total - early)


def tsne(
    vectors: np.ndarray,
    params: TSNEParams,
    on_frame: FrameCallback | None = None,
    frame_every: int = 25,
    labels: np.ndarray | None = None,
    start: Start | None = None,
    nudge: Callable[[], bool] | None = None,
    initialization: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Run t-SNE on ``vectors``; return the layout (float32, N × k) and the last iteration reached.

    ``on_frame(iteration, layout)`` is called every ``frame_every`` iterations (counting the early
    exaggeration phase); returning True stops the run and keeps the layout reached so far. A run of
    ``n_iter=None`` goes on until then, so it needs ``on_frame``.

    ``labels`` (one string per point, "" for none) supervise a run whose params say so. ``start`` continues
    from a layout reached earlier: no new initialisation, early exaggeration only for what was left of it,
    iterations counted on from ``start.iteration``. ``nudge()``, asked at every frame, perturbs the layout
    there when it returns True. ``initialization`` (N × k) is where a run from scratch begins instead of
    openTSNE's PCA: an earlier training step's layout, rescaled as openTSNE rescales its own, so the new
    layout keeps that one's arrangement (every phase runs, early exaggeration included).
    """
    from openTSNE import TSNE

    params, _ = check_params(params, len(vectors))
    if params.n_iter is None and on_frame is None:
        raise ValueError("a t-SNE run until stopped needs an on_frame callback that stops it")
    data = np.asarray(vectors, dtype=np.float32)
    if float(np.ptp(data, axis=0).max(initial=0.0)) == 0.0:
        raise InputError("t-SNE cannot lay out points whose vectors are all identical.")
    if params.supervised and (labels is None or len(labels) != len(data)):
        raise InputError(f"Supervising t-SNE with {params.supervise_column!r} needs one label per point.")
    if start is not None and start.layout.shape != (len(data), params.n_components):
        raise InputError(
            f"The layout to continue from is {start.layout.shape[0]:,} × {start.layout.shape[1]}; "
            f"this run lays out {len(data):,} points in {params.n_components}D. Press Run instead."
        )
    if initialization is not None and initialization.shape != (len(data), params.n_components):
        initialization = None  # another step's layout of other points or dimensions: openTSNE's own start
    state = _Progress(offset=start.iteration if start else 0)

    def callback(iteration: int, _error: float, embedding: np.ndarray) -> bool:
        state.iteration = state.offset + iteration
        if nudge is not None and nudge():
            embedding[:] = perturb(embedding, seed=params.random_state + state.iteration)
        state.latest = np.asarray(embedding, dtype=np.float32)
        return bool(on_frame(state.iteration, state.latest)) if on_frame else False

    method = "fft" if params.n_components == 2 else "bh"
    estimator = TSNE(
        n_components=params.n_components,
        perplexity=params.perplexity,
        learning_rate=params.learning_rate,
        negative_gradient_method=method,
        callbacks=callback,
        callbacks_every_iters=frame_every,
        random_state=params.random_state,
        n_jobs=os.cpu_count() or 1,
    )
    embedding = _initial(estimator, data, params, labels, start, initialization)
    phases = _phases(estimator, phase_params(params, start), state.offset)
    embedding = _fit_in_phases(estimator, embedding, phases, state)
    return np.asarray(embedding, dtype=np.float32), state.iteration


@dataclass
class _Progress:
    """Where a run is: iterations of the finished phases, the last iteration reported, its layout."""

    offset: int = 0
    iteration: int = 0
    latest: np.ndarray | None = None


def _initial(
    estimator: Any,
    data: np.ndarray,
    params: TSNEParams,
    labels: np.ndarray | None,
    start: Start | None,
    initialization: np.ndarray | None = None,
) -> Any:
    """The openTSNE embedding to optimise: openTSNE's own initialisation, another step's layout rescaled
    (``initialization``), or the layout to continue from; affinities reweighted by the labels when supervised."""
    if start is None and initialization is not None:
        from openTSNE.initialization import rescale

        begin = rescale(np.asarray(initialization, dtype=np.float64))  # the spread openTSNE starts from
        if not params.supervised:
            return estimator.prepare_initial(data, initialization=begin)
        start = Start(begin, 0)
    if not params.supervised and start is None:
        return estimator.prepare_initial(data)  # openTSNE's affinities and PCA initialisation
    from openTSNE.affinity import MultiscaleMixture

    affinities = MultiscaleMixture(  # what prepare_initial computes
        data,
        estimator.perplexity,
        method=estimator.neighbors,
        metric=estimator.metric,
        metric_params=estimator.metric_params,
        n_jobs=estimator.n_jobs,
        random_state=estimator.random_state,
        knn_kwargs=estimator.knn_kwargs,
    )
    if params.supervised:
        affinities.P = supervised_affinities(affinities.P, cast(np.ndarray, labels), params.supervise_weight)
    layout = None if start is None else np.asarray(start.layout, dtype=np.float64)
    quiet = logging.getLogger("openTSNE.tsne")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # a layout to continue from is spread out, as it should be
    try:
        return estimator.prepare_initial(data, affinities=affinities, initialization=layout)
    finally:
        quiet.setLevel(level)


def _phases(estimator: Any, params: TSNEParams, done: int) -> list[tuple[int | None, float, float]]:
    """(iterations or None until stopped, exaggeration, momentum) of what is left after ``done`` iterations:
    early exaggeration, then the normal phase."""
    early = max(params.early_exaggeration_iter - done, 0)
    normal = None if params.n_iter is None else params.n_iter - max(done - params.early_exaggeration_iter, 0)
    return [
        (early, estimator.early_exaggeration, estimator.initial_momentum),
        (normal, estimator.exaggeration, estimator.final_momentum),
    ]


def _fit_in_phases(
    estimator: Any, embedding: Any, phases: list[tuple[int | None, float, float]], state: _Progress
) -> np.ndarray:
    """Optimise through openTSNE's prepare/optimize API so a stop in either phase ends the whole run."""
    from openTSNE.tsne import OptimizationInterrupt

    try:
        for n_iter, exaggeration, momentum in phases:
            while n_iter is None or n_iter > 0:  # a run until stopped goes on in chunks
                steps = OPEN_CHUNK if n_iter is None else n_iter
                embedding = embedding.optimize(
                    n_iter=steps, exaggeration=exaggeration, momentum=momentum, inplace=True, propagate_exception=True
                )
                state.offset += steps
                n_iter = None if n_iter is None else 0
    except OptimizationInterrupt as stop:
        log.info("t-SNE stopped at iteration %d", state.iteration)
        return cast(np.ndarray, stop.final_embedding)
    state.iteration = state.offset  # also when no frame fell on the end
    return cast(np.ndarray, embedding)


def params_from_form(
    dimension: Any,
    perplexity: Any,
    learning_rate: Any,
    iterations: Any,
    seed: Any,
    supervise_column: Any = None,
    supervise_weight: Any = None,
) -> TSNEParams:
    """Parameters from the panel's inputs; InputError names the field that cannot be used.

    ``iterations`` counts every step: the first quarter (at most 250) is early exaggeration; empty runs
    until stopped (with 250 iterations of early exaggeration). A supervision weight of 0 or no column is
    unsupervised.
    """
    try:
        rate: float | str = "auto" if str(learning_rate or "auto").strip().lower() == "auto" else float(learning_rate)
    except ValueError:
        raise InputError(f"Learning rate must be 'auto' or a positive number, got {learning_rate!r}.") from None
    if iterations is not None and str(iterations).strip() != "" and int(iterations) < 10:
        raise InputError(
            f"Iterations must be a whole number of at least 10 (or empty: until stopped), got {iterations!r}."
        )
    if perplexity is None:
        raise InputError("Perplexity must be a positive number.")
    try:
        weight = float(supervise_weight or 0)
    except (TypeError, ValueError):
        raise InputError(f"Supervision weight must be a number from 0 to 100, got {supervise_weight!r}.") from None
    column = str(supervise_column or "")
    if not column or weight == 0:
        column, weight = "", 0.0
    if iterations is None or str(iterations).strip() == "":
        n_iter, early = None, MAX_EARLY_EXAGGERATION
    else:
        total = int(iterations)
        early = min(MAX_EARLY_EXAGGERATION, total // 4)
        n_iter = total - early
    return TSNEParams(
        n_components=int(dimension or 2),
        perplexity=float(perplexity),
        learning_rate=rate,
        n_iter=n_iter,
        early_exaggeration_iter=early,
        random_state=int(seed or 0),
        supervise_column=column,
        supervise_weight=weight,
    )
