"""UMAP of the same points at several training steps in one umap-learn ``AlignedUMAP`` fit, with progress.

``AlignedUMAP`` optimises every step's layout together, each pulled towards the same point's place in the
steps beside it (relations ``{i: i}``: row i is the same point at every step), so a layout travels from
step to step instead of being laid out anew. It has no callback either. Its fit builds one ``umap.UMAP``
per step for the neighbour graph, then runs ``optimize_layout_aligned_euclidean``, whose epoch loop has a
tqdm bar like UMAP's own. For the length of a fit (under a lock: it is process-wide) the two names are
swapped in ``umap.aligned_umap`` for a ``UMAP`` that reports each step's graph and skips the layout it would
optimise on its own (the aligned fit never reads it), and for the same optimiser with a bar that reports
epochs and stops between two of them (see :mod:`projector.umap`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from typing import Any, Iterator

import numpy as np

from projector.errors import InputError
from projector.umap import (
    NEIGHBOURS,
    OPTIMISING,
    EpochStream,
    Interrupt,
    ProgressCallback,
    Run,
    UMAPParams,
    as_matrix,
    check_params,
    import_umap,
)

log = logging.getLogger(__name__)

N_EPOCHS = 200  # AlignedUMAP's default, whatever the number of points
MAX_STEPS = 100
MAX_POINTS = 2_000_000  # points over all steps: what one fit may hold on a shared server
_SWAP = threading.Lock()


def check_steps(sizes: list[int]) -> None:
    """InputError unless ``sizes`` (the points of each step) can be laid out in one aligned fit."""
    if len(sizes) < 2:
        raise InputError("An aligned UMAP needs an embedding saved at two steps or more.")
    if len(sizes) > MAX_STEPS:
        raise InputError(f"An aligned UMAP lays out at most {MAX_STEPS} steps at once; this tensor has {len(sizes)}.")
    if len(set(sizes)) != 1:
        raise InputError(
            "An aligned UMAP needs the same points at every step; these steps have "
            f"{min(sizes):,} to {max(sizes):,} rows. Lay out one step at a time (untick Align over steps)."
        )
    if sum(sizes) > MAX_POINTS:
        raise InputError(
            f"An aligned UMAP of {len(sizes)} steps of {sizes[0]:,} points is {sum(sizes):,} points, more than the "
            f"{MAX_POINTS:,} this server lays out at once: isolate fewer points, or untick Align over steps."
        )


def aligned_layouts(
    steps: list[np.ndarray], params: UMAPParams, on_progress: ProgressCallback | None = None
) -> tuple[list[np.ndarray], bool]:
    """The layout of each step's vectors (the same N points in the same order at every step, N × D each), in
    one aligned fit, and whether it was stopped.

    ``on_progress`` hears ``("finding neighbours", k, K)`` as the K steps' graphs are built, then
    ``("optimising layout", epoch, 200)``; returning True stops the fit: during the graphs, with no layouts
    (an empty list); during the optimisation, with the layouts reached so far. A point left without any edge
    keeps its initial place (umap-learn sets it to NaN).
    """
    check_steps([len(v) for v in steps])
    data = [as_matrix(v) for v in steps]
    params, note = check_params(params, len(data[0]))
    if note:
        log.info(note)
    if any(float(np.ptp(d, axis=0).max()) == 0.0 for d in data):
        raise InputError("UMAP cannot lay out a step whose vectors are all identical.")
    umap = import_umap()
    run = Run(on_progress)
    starts: list[np.ndarray] = []
    model = umap.AlignedUMAP(
        n_neighbors=params.n_neighbors,
        min_dist=float(params.min_dist),
        n_components=params.n_components,
        n_epochs=N_EPOCHS,
        random_state=params.random_state,
        init="spectral",
        metric="euclidean",
    )
    identity = {i: i for i in range(len(data[0]))}
    try:
        with _swapped(umap, run, len(data), starts), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "n_jobs value", UserWarning)  # a seed makes each graph one thread
            model.fit(data, relations=[identity] * (len(data) - 1))
    except Interrupt:
        return [], True
    layouts = []
    for layout, start in zip(model.embeddings_, starts):
        layout = np.array(layout, dtype=np.float32)
        lost = ~np.isfinite(layout).all(axis=1)
        layout[lost] = start[lost]
        layouts.append(layout)
    return layouts, run.stopped


@contextlib.contextmanager
def _swapped(umap: Any, run: Run, count: int, starts: list[np.ndarray]) -> Iterator[None]:
    """``umap.aligned_umap``'s UMAP and optimiser, reporting to ``run``, for the length of one fit."""
    module = umap.aligned_umap
    graphs, optimise = module.UMAP, module.optimize_layout_aligned_euclidean
    built = [0]

    class _GraphOnly(graphs):  # type: ignore[misc, valid-type]  # umap-learn is untyped
        def fit(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
            if run.stage(NEIGHBOURS, built[0], count):
                raise Interrupt
            fitted = super().fit(X, y, **kwargs)
            built[0] += 1
            return fitted

        def _fit_embed_data(self, X: Any, n_epochs: Any, init: Any, random_state: Any, **kwargs: Any) -> Any:
            return np.zeros((X.shape[0], self.n_components), dtype=np.float32), {}

    def reporting(head: Any, tail: Any, *args: Any, **kwargs: Any) -> Any:
        starts.extend(np.array(layout) for layout in head)
        if run.stage(NEIGHBOURS, count, count) or run.stage(OPTIMISING, 0, N_EPOCHS):
            return head
        bar = {"file": EpochStream(run, N_EPOCHS), "bar_format": "{n}/{total}", "disable": False}
        bar.update(mininterval=0, miniters=1, delay=0, leave=False)
        try:
            optimise(head, tail, *args, **kwargs, tqdm_kwds=bar)
            run.epoch = N_EPOCHS
        except Interrupt:
            log.info("Aligned UMAP stopped at epoch %d of %d", run.epoch, N_EPOCHS)
        return head

    with _SWAP:
        module.UMAP, module.optimize_layout_aligned_euclidean = _GraphOnly, reporting
        try:
            yield
        finally:
            module.UMAP, module.optimize_layout_aligned_euclidean = graphs, optimise
