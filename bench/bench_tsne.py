"""t-SNE benchmark: time to the first streamed frame, frame rate and total time, against scikit-learn.

Synthetic data: N points × 50 dimensions in 30 Gaussian blobs. For each N, a 2-D ``projector.tsne.tsne`` run
with the app's defaults (250 early-exaggeration + 500 iterations, perplexity 30) and ``frame_every=25``;
the time spent before the optimisation starts (kNN, affinities, PCA initialisation) is measured by timing
openTSNE's ``prepare_initial``. Then ``sklearn.manifold.TSNE`` (default parameters, ``n_jobs=2``) on the
smallest N. Run: ``.venv/bin/python bench/bench_tsne.py [--sizes 20000 70000] [--skip-sklearn]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projector.tsne import TSNEParams, tsne  # noqa: E402

DIM = 50
CLUSTERS = 30
FRAME_EVERY = 25


def blobs(n: int, dim: int = DIM, clusters: int = CLUSTERS, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 5.0, size=(clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, size=n)
    return centres[labels] + rng.normal(0.0, 1.0, size=(n, dim)).astype(np.float32)


class PrepareTimer:
    """Times openTSNE's ``TSNE.prepare_initial`` (everything before the first iteration) while active."""

    def __enter__(self) -> PrepareTimer:
        from openTSNE import TSNE

        self.seconds = 0.0
        self._original = original = TSNE.prepare_initial
        timer = self

        def timed(estimator, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original(estimator, *args, **kwargs)
            finally:
                timer.seconds += time.perf_counter() - start

        TSNE.prepare_initial = timed
        return self

    def __exit__(self, *exc) -> None:
        from openTSNE import TSNE

        TSNE.prepare_initial = self._original


def measure_ours(vectors: np.ndarray) -> dict:
    params = TSNEParams()
    frames: list[tuple[int, float]] = []
    with PrepareTimer() as prepare:
        start = time.perf_counter()
        _, reached = tsne(
            vectors,
            params,
            on_frame=lambda i, _: frames.append((i, time.perf_counter() - start)),
            frame_every=FRAME_EVERY,
        )
        total = time.perf_counter() - start
    _, first_s = frames[0]
    _, last_s = frames[-1]
    per_minute = 60.0 * (len(frames) - 1) / (last_s - first_s) if len(frames) > 1 else float("nan")
    optimise_s = total - prepare.seconds
    return {
        "method": "projector.tsne (openTSNE FFT)",
        "N": len(vectors),
        "before optimising s": round(prepare.seconds, 1),
        f"first frame (it {FRAME_EVERY}) s": round(first_s, 1),
        "frames/min": round(per_minute, 1),
        "iterations": reached,
        "ms/iteration": round(1000 * optimise_s / reached, 1),
        "total s": round(total, 1),
    }


def measure_sklearn(vectors: np.ndarray) -> dict:
    from sklearn.manifold import TSNE

    estimator = TSNE(n_components=2, random_state=0, n_jobs=min(2, os.cpu_count() or 1))
    start = time.perf_counter()
    estimator.fit_transform(vectors)
    total = time.perf_counter() - start
    return {
        "method": "sklearn.manifold.TSNE (Barnes-Hut)",
        "N": len(vectors),
        "iterations": int(estimator.n_iter_),
        "ms/iteration": round(1000 * total / max(int(estimator.n_iter_), 1), 1),  # includes its kNN/affinities
        "total s": round(total, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 70_000])
    parser.add_argument("--skip-sklearn", action="store_true", help="do not run scikit-learn's TSNE")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {DIM} dims, {CLUSTERS} blobs; frame every {FRAME_EVERY} iterations", flush=True)
    rows = []
    data = {n: blobs(n) for n in args.sizes}
    for n in args.sizes:
        rows.append(measure_ours(data[n]))
        print(json.dumps(rows[-1]), flush=True)
    if not args.skip_sklearn:
        n = min(args.sizes)
        rows.append(measure_sklearn(data[n]))
        print(json.dumps(rows[-1]), flush=True)
        ours = next(row for row in rows if row["N"] == n)
        print(f"sklearn / ours at N={n:,}: total {rows[-1]['total s'] / ours['total s']:.1f}×", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(pd.DataFrame(rows).to_string(index=False, na_rep=""))
    print(f"peak RSS {peak:.2f} GB")


if __name__ == "__main__":
    main()
