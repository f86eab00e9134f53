"""Neighbourhood change between two embeddings of the same rows, at several N, beside scikit-learn.

Two N × D float32 embeddings of the same clustered points (the second a noisy, turned copy of the first, as
a retrained model) are scored as *Colour by neighbourhood change* scores them: 1 − Jaccard of each point's
k exact nearest neighbours (cosine) in each (``projector.alignment.neighborhood_change``). The peer is what a
user would write with scikit-learn: ``NearestNeighbors(algorithm="brute", metric="cosine").kneighbors`` on
both, then the same Jaccard. Both give the same neighbour sets up to ties; the table prints the seconds (the
median of ``--repeats``) and app / scikit-learn.

Run alone (it uses both cores): ``.venv/bin/python bench/bench_compare.py [--sizes 10000 20000 100000]
[--dim 128] [--k 10] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projector.alignment import neighborhood_change  # noqa: E402


def embeddings(n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 4, size=(50, dim))
    first = centers[rng.integers(0, 50, size=n)] + rng.normal(0, 1, size=(n, dim))
    turn, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    second = first @ turn + rng.normal(0, 0.5, size=(n, dim))
    return first.astype(np.float32), second.astype(np.float32)


def sklearn_change(first: np.ndarray, second: np.ndarray, k: int) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    def nearest(x: np.ndarray) -> np.ndarray:
        found = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", metric="cosine").fit(x).kneighbors(x)[1]
        return found[:, 1:]  # itself first

    a, b = nearest(first), nearest(second)
    both = np.sort(np.concatenate([a, b], axis=1), axis=1)
    shared = np.sum(both[:, 1:] == both[:, :-1], axis=1)
    return 1.0 - shared / (2 * k - shared)


def median_seconds(func, args: tuple, repeats: int) -> tuple[float, list[float], object]:
    samples, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = func(*args)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 100_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    print(f"neighbourhood change, {args.dim} dimensions, k = {args.k}, cosine, median of {args.repeats}")
    print(f"{'N':>9}  {'app s':>8}  {'sklearn s':>9}  {'app/sklearn':>11}  {'same sets':>9}")
    for n in args.sizes:
        first, second = embeddings(n, args.dim)
        app_s, app_samples, ours = median_seconds(neighborhood_change, (first, second, args.k), args.repeats)
        peer_s, peer_samples, theirs = median_seconds(sklearn_change, (first, second, args.k), args.repeats)
        same = float(np.mean(np.isclose(ours, theirs, atol=1e-6)))
        print(f"{n:>9,}  {app_s:>8.2f}  {peer_s:>9.2f}  {app_s / peer_s:>11.2f}  {same:>9.1%}")
        rows.append({"n": n, "app_s": app_s, "sklearn_s": peer_s, "app": app_samples, "sklearn": peer_samples})
    if args.json:
        args.json.write_text(json.dumps({"dim": args.dim, "k": args.k, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
