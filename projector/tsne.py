"""t-SNE with openTSNE on every point, reporting intermediate layouts as it optimises."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import asdict, dataclass
from typing import Any, Callable, cast

import numpy as np

from projector.errors import InputError

log = logging.getLogger(__name__)

MAX_PERPLEXITY = 100  # as TensorBoard's slider
MAX_ITERATIONS = 10_000  # a bound on one run's time on a shared server
FrameCallback = Callable[[int, np.ndarray], bool]  # (iteration, layout) -> True to stop


@dataclass(frozen=True)
class TSNEParams:
    """What a t-SNE run depends on; equal parameters and seed give the same layout."""

    n_components: int = 2
    perplexity: float = 30.0
    learning_rate: float | str = "auto"
    n_iter: int = 500
    early_exaggeration_iter: int = 250
    random_state: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_DEFAULT = TSNEParams()
# The panel's fields for the default parameters ("iterations" counts every step, early exaggeration included).
FORM_DEFAULTS: dict[str, Any] = {
    "perplexity": _DEFAULT.perplexity,
    "learning_rate": _DEFAULT.learning_rate,
    "iterations": _DEFAULT.n_iter + _DEFAULT.early_exaggeration_iter,
    "seed": _DEFAULT.random_state,
}


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
    if params.n_iter < 1 or params.early_exaggeration_iter < 0:
        raise InputError(f"Iterations must be at least 1, got {params.n_iter!r}.")
    if params.n_iter + params.early_exaggeration_iter > MAX_ITERATIONS:
        total = params.n_iter + params.early_exaggeration_iter
        raise InputError(f"Iterations must be at most {MAX_ITERATIONS:,}, got {total:,}.")
    if params.learning_rate != "auto" and not float(params.learning_rate) > 0:
        raise InputError(f"Learning rate must be 'auto' or a positive number, got {params.learning_rate!r}.")
    limit = max_perplexity(n)
    if params.perplexity > limit:
        usable = math.floor(limit * 100) / 100  # rounded down: openTSNE needs 3 × perplexity ≤ n − 1
        clamped = TSNEParams(**{**params.as_dict(), "perplexity": usable})
        note = f"Perplexity {params.perplexity:g} is too large for {n:,} points; using {clamped.perplexity:g}."
        return clamped, note
    return params, None


def tsne(
    vectors: np.ndarray,
    params: TSNEParams,
    on_frame: FrameCallback | None = None,
    frame_every: int = 25,
) -> tuple[np.ndarray, int]:
    """Run t-SNE on ``vectors``; return the layout (float32, N × k) and the last iteration reached.

    ``on_frame(iteration, layout)`` is called every ``frame_every`` iterations (counting the early
    exaggeration phase); returning True stops the run and keeps the layout reached so far.
    """
    from openTSNE import TSNE

    params, _ = check_params(params, len(vectors))
    data = np.asarray(vectors, dtype=np.float32)
    if float(np.ptp(data, axis=0).max(initial=0.0)) == 0.0:
        raise InputError("t-SNE cannot lay out points whose vectors are all identical.")
    state = _Progress()

    def callback(iteration: int, _error: float, embedding: np.ndarray) -> bool:
        state.iteration = state.offset + iteration
        state.latest = np.asarray(embedding, dtype=np.float32)
        return bool(on_frame(state.iteration, state.latest)) if on_frame else False

    method = "fft" if params.n_components == 2 else "bh"
    estimator = TSNE(
        n_components=params.n_components,
        perplexity=params.perplexity,
        learning_rate=params.learning_rate,
        n_iter=params.n_iter,
        early_exaggeration_iter=params.early_exaggeration_iter,
        negative_gradient_method=method,
        callbacks=callback,
        callbacks_every_iters=frame_every,
        random_state=params.random_state,
        n_jobs=os.cpu_count() or 1,
    )
    embedding = _fit_in_phases(estimator, data, params, state)
    return np.asarray(embedding, dtype=np.float32), state.iteration


@dataclass
class _Progress:
    """Where a run is: iterations of the finished phases, the last iteration reported, its layout."""

    offset: int = 0
    iteration: int = 0
    latest: np.ndarray | None = None


def _fit_in_phases(estimator: Any, data: np.ndarray, params: TSNEParams, state: _Progress) -> np.ndarray:
    """Fit through openTSNE's prepare/optimize API so a stop in either phase ends the whole run."""
    from openTSNE.tsne import OptimizationInterrupt

    embedding = estimator.prepare_initial(data)  # an openTSNE TSNEEmbedding, an ndarray
    phases = [  # (iterations, exaggeration, momentum): early exaggeration, then the normal phase
        (params.early_exaggeration_iter, estimator.early_exaggeration, estimator.initial_momentum),
        (params.n_iter, estimator.exaggeration, estimator.final_momentum),
    ]
    try:
        for n_iter, exaggeration, momentum in phases:
            if n_iter:
                embedding = embedding.optimize(
                    n_iter=n_iter, exaggeration=exaggeration, momentum=momentum, inplace=True, propagate_exception=True
                )
            state.offset += n_iter
    except OptimizationInterrupt as stop:
        log.info("t-SNE stopped at iteration %d", state.iteration)
        return cast(np.ndarray, stop.final_embedding)
    state.iteration = params.early_exaggeration_iter + params.n_iter  # also when no frame fell on the end
    return cast(np.ndarray, embedding)


def params_from_form(dimension: Any, perplexity: Any, learning_rate: Any, iterations: Any, seed: Any) -> TSNEParams:
    """Parameters from the panel's inputs; InputError names the field that cannot be used.

    ``iterations`` counts every step: the first quarter (at most 250) is early exaggeration.
    """
    try:
        rate: float | str = "auto" if str(learning_rate or "auto").strip().lower() == "auto" else float(learning_rate)
    except ValueError:
        raise InputError(f"Learning rate must be 'auto' or a positive number, got {learning_rate!r}.") from None
    if iterations is None or int(iterations) < 10:
        raise InputError(f"Iterations must be a whole number of at least 10, got {iterations!r}.")
    if perplexity is None:
        raise InputError("Perplexity must be a positive number.")
    total = int(iterations)
    early = min(250, total // 4)
    return TSNEParams(
        n_components=int(dimension or 2),
        perplexity=float(perplexity),
        learning_rate=rate,
        n_iter=total - early,
        early_exaggeration_iter=early,
        random_state=int(seed or 0),
    )
