"""Foundation benchmark: load, first PCA figure, kNN click and recolour payload at several N.

Writes a synthetic N × D float32 TF2 checkpoint per size, then times the same engine calls the
app's callbacks make. Run: ``.venv/bin/python bench/bench_foundation.py [--sizes 10000 100000] [--dim 768]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projector import scatter  # noqa: E402
from projector.colors import encode_column  # noqa: E402
from projector.figures import point_style, scatter_figure  # noqa: E402
from projector.view import View, point_labels  # noqa: E402
from projector.workspace import Workspace  # noqa: E402


def write_logdir(path: Path, n: int, dim: int) -> None:
    import tensorflow as tf
    from tensorboard.plugins import projector

    rng = np.random.default_rng(0)
    centers = rng.normal(0, 4, size=(20, dim)).astype(np.float32)
    labels = rng.integers(0, 20, size=n)
    vectors = centers[labels] + rng.normal(0, 1, size=(n, dim)).astype(np.float32)
    path.mkdir(parents=True)
    pd.DataFrame({"word": [f"w{i}" for i in range(n)], "cluster": labels}).to_csv(
        path / "metadata.tsv", sep="\t", index=False
    )
    checkpoint = tf.train.Checkpoint(embedding=tf.Variable(vectors))
    checkpoint.save(str(path / "embedding.ckpt"))
    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
    embedding.metadata_path = "metadata.tsv"
    projector.visualize_embeddings(str(path), config)


def timed(func):
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def measure(root: Path, n: int, dim: int) -> dict:
    logdir = root / f"n{n}"
    _, write_s = timed(lambda: write_logdir(logdir, n, dim))
    workspace = Workspace(logdir, cache_root=root / f"cache{n}")
    spec = workspace.listing(".").specs[0]
    data, load_s = timed(lambda: workspace.dataset(spec.key))

    def first_figure() -> str:
        result = workspace.pca(spec.key, None, False)
        style = point_style(encode_column(data.metadata["cluster"]), np.empty(0, dtype=int), None, 3)
        labels = point_labels(data.metadata, "word").tolist()
        figure = scatter_figure(result.coords[:, :3], labels, style, ["1", "2", "3"], "bench")
        return json.dumps(figure)

    payload, figure_s = timed(first_figure)
    index = workspace.neighbor_index(spec.key)
    index.query(0, 10, "cosine")  # first query builds the norms
    rng = np.random.default_rng(1)
    queries = rng.integers(0, n, size=20)
    knn_times = []
    for q in queries:
        _, t = timed(lambda q=q: index.query(int(q), 100, "cosine"))
        knn_times.append(t)
    view = View(spec.key)
    recolour = scatter.style_payload(view, encode_column(data.metadata["word"].str[-1]), "word")
    cluster = np.flatnonzero(data.metadata["cluster"].to_numpy() == data.metadata["cluster"].iloc[0])
    selection = scatter.highlight_payload(view, scatter.highlight_for(view, cluster, None))
    return {
        "N": n,
        "D": dim,
        "write ckpt s": round(write_s, 2),
        "load s": round(load_s, 2),
        "first figure s": round(figure_s, 2),
        "figure MB": round(len(payload) / 1e6, 2),
        "kNN median ms": round(1000 * float(np.median(knn_times)), 1),
        "recolour payload KB": round(len(json.dumps(recolour)) / 1e3, 1),
        "search payload KB (one cluster)": round(len(json.dumps(selection)) / 1e3, 1),
        "peak RSS GB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--dim", type=int, default=768)
    args = parser.parse_args()
    _, tf_s = timed(lambda: __import__("tensorflow"))
    print(f"import tensorflow: {tf_s:.1f} s (once per server process, on the first checkpoint read)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            rows.append(measure(Path(tmp), n, args.dim))
            print(json.dumps(rows[-1]), flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
