"""Write logdirs the way real users do (TensorFlow, TensorBoard's projector API, tensorboardX).

Importable from any test: ``from tests.logdirs import write_tf2_logdir``. TensorFlow is imported
inside the writers that need it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

TF2_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def blobs(n: int, seed: int) -> np.ndarray:
    """``n`` × 20 float32 vectors in 8 clusters (row i in cluster i % 8): a layout job's input."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 6, size=(8, 20))
    return (centers[np.arange(n) % 8] + rng.normal(0, 1, size=(n, 20))).astype(np.float32)


def sprite_array(images: np.ndarray) -> np.ndarray:
    """Thumbnails (N, h, w[, c]) as one uint8 sprite, row-first from the top left, ceil(sqrt(N)) per row."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = (np.clip(images, 0, 1) * 255).round().astype(np.uint8)
    n, h, w = images.shape[:3]
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    sheet = np.full((rows * h, columns * w) + images.shape[3:], 255, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = images[i]
    return sheet


def write_metadata(path: str | Path, rows: Sequence, header: Sequence[str] | None = None) -> Path:
    """A metadata TSV: ``header`` (if given) then one line per row (a row is a value or a list of values)."""
    path = Path(path)
    lines = ["\t".join(map(str, header))] if header is not None else []
    for row in rows:
        lines.append("\t".join(map(str, row)) if isinstance(row, (list, tuple)) else str(row))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_tf2_logdir(
    path: str | Path,
    vectors: np.ndarray,
    metadata_rows: Sequence | None = None,
    header: Sequence[str] | None = None,
    sprite_images: np.ndarray | None = None,
    *,
    tensor_name: str = "embedding",
    extra_variables: dict[str, np.ndarray] | None = None,
) -> Path:
    """A logdir as the TensorBoard TF2 how-to writes it: ``tf.train.Checkpoint`` + ``visualize_embeddings``.

    ``metadata_rows`` are values (single column, no header) or lists of values with ``header``;
    ``sprite_images`` (N, h, w[, c]) become ``sprite.png`` with ``single_image_dim`` [w, h].
    ``extra_variables`` are saved in the same checkpoint without a config entry.
    """
    tf = _tf()
    from tensorboard.plugins import projector

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    variables = {tensor_name: tf.Variable(np.asarray(vectors, dtype=np.float32))}
    for name, value in (extra_variables or {}).items():
        variables[name] = tf.Variable(np.asarray(value, dtype=np.float32))
    tf.train.Checkpoint(**variables).save(os.path.join(path, "embedding.ckpt"))

    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = tensor_name + TF2_SUFFIX
    if metadata_rows is not None:
        write_metadata(path / "metadata.tsv", metadata_rows, header)
        embedding.metadata_path = "metadata.tsv"
    if sprite_images is not None:
        images = np.asarray(sprite_images)
        Image.fromarray(sprite_array(images)).save(path / "sprite.png")
        embedding.sprite.image_path = "sprite.png"
        embedding.sprite.single_image_dim.extend([images.shape[2], images.shape[1]])
    projector.visualize_embeddings(os.fspath(path), config)
    return path


def write_tf1_logdir(path: str | Path, vectors: np.ndarray, metadata_rows: Sequence | None = None) -> Path:
    """A TF1 logdir: graph-mode variable ``word_embedding`` trained one Adam step, ``Saver`` at step 1.

    The checkpoint also holds Adam's slots (``word_embedding/Adam``, ``.../Adam_1``), ``beta1_power``,
    ``beta2_power`` and ``global_step``; the config names the tensor ``word_embedding:0``.
    """
    tf = _tf()
    from tensorboard.plugins import projector

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    graph = tf.Graph()
    with graph.as_default():
        embedding_var = tf.compat.v1.get_variable("word_embedding", initializer=np.asarray(vectors, dtype=np.float32))
        loss = tf.reduce_sum(tf.square(embedding_var))
        step = tf.compat.v1.train.get_or_create_global_step()
        train = tf.compat.v1.train.AdamOptimizer(0.0).minimize(loss, global_step=step)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(train)
            saver.save(session, os.path.join(path, "model.ckpt"), global_step=1)
        config = projector.ProjectorConfig()
        embedding = config.embeddings.add()
        embedding.tensor_name = embedding_var.name  # "word_embedding:0"
        if metadata_rows is not None:
            write_metadata(path / "metadata.tsv", metadata_rows)
            embedding.metadata_path = os.path.join(path, "metadata.tsv")  # absolute, as the old how-to does
        projector.visualize_embeddings(os.fspath(path), config)
    return path


def write_tensorboardx_logdir(
    path: str | Path,
    steps: dict[int, np.ndarray],
    metadata_rows: Sequence,
    header: Sequence[str],
    label_img: np.ndarray | None = None,
    tag: str = "features",
) -> Path:
    """``tensorboardX.SummaryWriter.add_embedding`` once per step of one ``tag``."""
    from tensorboardX import SummaryWriter

    path = Path(path)
    writer = SummaryWriter(logdir=os.fspath(path))
    try:
        for step, mat in steps.items():
            writer.add_embedding(
                mat,
                metadata=[list(r) for r in metadata_rows],
                label_img=label_img,
                global_step=step,
                tag=tag,
                metadata_header=list(header),
            )
    finally:
        writer.close()
    return path


def write_tensorboardx_steps(path: str | Path, calls: Sequence[tuple[str, int, np.ndarray, Sequence | None]]) -> Path:
    """``tensorboardX.SummaryWriter.add_embedding(mat, metadata, global_step=step, tag=tag)`` once per
    ``(tag, step, mat, metadata)`` call, in order; ``metadata`` None writes none for that call."""
    from tensorboardX import SummaryWriter

    path = Path(path)
    writer = SummaryWriter(logdir=os.fspath(path))
    try:
        for tag, step, mat, metadata in calls:
            writer.add_embedding(mat, metadata=None if metadata is None else list(metadata), global_step=step, tag=tag)
    finally:
        writer.close()
    return path


def write_checkpoint_manager_logdir(
    path: str | Path,
    steps: Sequence[dict[str, np.ndarray]],
    *,
    max_to_keep: int = 5,
    metadata_rows: Sequence | None = None,
) -> Path:
    """A TF2 training loop's logdir: ``tf.train.CheckpointManager.save()`` once per item of ``steps``
    (``ckpt-1``, ``ckpt-2``, …), each saving that item's variables, and ``visualize_embeddings`` naming
    ``embedding`` with ``metadata_rows`` (if given).

    A fresh ``Checkpoint`` per save lets the variables differ from one save to the next (shapes, which
    exist); the manager is given the number, as its own save counter would count.
    """
    tf = _tf()
    from tensorboard.plugins import projector

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for number, variables in enumerate(steps, start=1):
        checkpoint = tf.train.Checkpoint(
            **{name: tf.Variable(np.asarray(value, dtype=np.float32)) for name, value in variables.items()}
        )
        manager = tf.train.CheckpointManager(checkpoint, os.fspath(path), max_to_keep=max_to_keep)
        manager.save(checkpoint_number=number)
    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = "embedding" + TF2_SUFFIX
    if metadata_rows is not None:
        write_metadata(path / "metadata.tsv", metadata_rows)
        embedding.metadata_path = "metadata.tsv"
    projector.visualize_embeddings(os.fspath(path), config)
    return path


def write_tf1_saver_logdir(path: str | Path, steps: dict[int, np.ndarray], *, max_to_keep: int = 5) -> Path:
    """A TF1 training loop's logdir: variable ``word_embedding`` assigned each of ``steps``' values in turn and
    ``Saver(max_to_keep=...).save(..., global_step=step)`` after each (``model.ckpt-<step>``)."""
    tf = _tf()

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    values = list(steps.values())
    graph = tf.Graph()
    with graph.as_default():
        embedding_var = tf.compat.v1.get_variable("word_embedding", initializer=np.asarray(values[0], np.float32))
        value = tf.compat.v1.placeholder(tf.float32, shape=np.shape(values[0]))
        assign = embedding_var.assign(value)
        saver = tf.compat.v1.train.Saver(max_to_keep=max_to_keep)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for step, matrix in steps.items():
                session.run(assign, {value: np.asarray(matrix, np.float32)})
                saver.save(session, os.path.join(path, "model.ckpt"), global_step=step)
    return path
