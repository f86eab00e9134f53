"""The demo logdir shown when no ``--logdir`` is given: scikit-learn's digits as a real TF2 logdir."""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from projector.cache import default_cache_dir

log = logging.getLogger(__name__)

DEMO_NAME = "demo-digits"
CELL = 24  # thumbnail side in pixels: each 8×8 digit scaled 3×
TENSOR_NAME = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
_COMPLETE = "projector_config.pbtxt"  # written last: its presence means the logdir is whole


def ensure_demo_logdir(cache_dir: str | Path | None = None) -> Path:
    """The digits demo logdir ``<cache_dir>/demo-digits``, written on first call only.

    ``cache_dir`` defaults to :func:`default_cache_dir`. The logdir is built in a temporary
    directory beside it and renamed into place, so a concurrent or interrupted first call never
    leaves a half-written logdir.
    """
    parent = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = parent / DEMO_NAME
    if (target / _COMPLETE).is_file():
        return target
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{DEMO_NAME}-", dir=parent))
    except OSError as error:
        if cache_dir is not None:
            raise
        fallback = Path(tempfile.gettempdir()) / f"embedding-projector-{os.getuid()}"
        log.warning("Cannot write the demo into %s (%s); using %s", parent, error, fallback)
        return ensure_demo_logdir(fallback)
    os.chmod(staging, 0o755)  # mkdtemp makes it private; teammates on a shared box read it too
    try:
        write_digits_logdir(staging)
        if target.exists() and not (target / _COMPLETE).is_file():
            shutil.rmtree(target, ignore_errors=True)  # left over from an older, broken layout
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / _COMPLETE).is_file():  # not simply another process winning the race
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    log.info("Wrote the demo logdir %s", target)
    return target


def digits_sprite(images: np.ndarray, cell: int = CELL) -> np.ndarray:
    """A uint8 grayscale sprite of 8×8 digit images (0..16 ink), dark digits on white, row-first."""
    n, h, w = images.shape
    scale = cell // h
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    gray = (255 - np.clip(images, 0, 16) * 255.0 / 16.0).round().astype(np.uint8)
    big = gray.repeat(scale, axis=1).repeat(scale, axis=2)  # nearest neighbour: real pixels
    sheet = np.full((rows * cell, columns * cell), 255, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        sheet[r * cell : r * cell + h * scale, c * cell : c * cell + w * scale] = big[i]
    return sheet


def write_digits_logdir(directory: str | Path) -> Path:
    """Write scikit-learn's digits (1,797 × 64) into ``directory`` the way the TensorBoard how-to does."""
    from PIL import Image
    from sklearn.datasets import load_digits

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from tensorboard.plugins import projector

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    vectors = digits.data.astype(np.float32)
    ink = digits.images.reshape(len(digits.images), -1).mean(axis=1)

    with open(directory / "metadata.tsv", "w", encoding="utf-8") as f:
        f.write("digit\tink\n")
        for label, value in zip(digits.target, ink):
            f.write(f"{int(label)}\t{value:.2f}\n")
    Image.fromarray(digits_sprite(digits.images)).save(directory / "sprite.png")

    checkpoint = tf.train.Checkpoint(embedding=tf.Variable(vectors))
    checkpoint.save(os.path.join(directory, "embedding.ckpt"))

    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = TENSOR_NAME
    embedding.metadata_path = "metadata.tsv"
    embedding.sprite.image_path = "sprite.png"
    embedding.sprite.single_image_dim.extend([CELL, CELL])
    projector.visualize_embeddings(os.fspath(directory), config)
    return directory
