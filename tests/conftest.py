"""Logdirs written by TensorFlow, TensorBoard's projector API and tensorboardX, as users write them.

The expensive ones (TensorFlow import, checkpoint writes) are session-scoped and must be treated
as read-only; a test that changes files copies one with :func:`copy_logdir` first.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.logdirs import write_tensorboardx_logdir, write_tf1_logdir, write_tf2_logdir


@dataclass
class WrittenLogdir:
    """A logdir on disk and what was written into it."""

    path: Path
    vectors: np.ndarray
    rows: list
    images: np.ndarray | None = None


def copy_logdir(source: Path, target: Path) -> Path:
    """A private copy of a session logdir (symlinks copied as links)."""
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def tf2_logdir(tmp_path_factory) -> WrittenLogdir:
    """TF2 how-to logdir: 30×6 ``embedding`` + word/group/score metadata + 5×4 px sprite.

    The checkpoint also holds ``bias`` (1-D), ``cube`` (3-D) and ``projection`` (7×3, no config entry).
    """
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 6)).astype(np.float32)
    rows = [[f"word{i}", "ab"[i % 2], f"{i * 0.5:.1f}" if i % 7 else ""] for i in range(30)]
    images = rng.integers(0, 256, size=(30, 4, 5, 3), dtype=np.uint8)  # h=4, w=5
    path = write_tf2_logdir(
        tmp_path_factory.mktemp("tf2") / "logdir",
        vectors,
        rows,
        header=["word", "group", "score"],
        sprite_images=images,
        extra_variables={
            "bias": np.zeros(6),
            "cube": np.zeros((3, 4, 5)),
            "projection": np.arange(21).reshape(7, 3),
        },
    )
    return WrittenLogdir(path, vectors, rows, images)


@pytest.fixture(scope="session")
def tf1_logdir(tmp_path_factory) -> WrittenLogdir:
    """TF1 Saver logdir: ``word_embedding`` (12×4) with Adam slots, single-column labels."""
    vectors = np.random.default_rng(1).normal(size=(12, 4)).astype(np.float32)
    rows = [f"label {i}" for i in range(12)]
    path = write_tf1_logdir(tmp_path_factory.mktemp("tf1") / "logdir", vectors, rows)
    return WrittenLogdir(path, vectors, rows)


@pytest.fixture(scope="session")
def tbx_logdir(tmp_path_factory) -> WrittenLogdir:
    """tensorboardX ``add_embedding`` of tag ``features`` at steps 0 and 10 (16×3), header + sprite."""
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(16, 3)).astype(np.float32)
    rows = [[f"item{i}", str(i % 4)] for i in range(16)]
    images = rng.random((16, 3, 6, 6)).astype(np.float32)  # NCHW, as PyTorch users pass
    path = write_tensorboardx_logdir(
        tmp_path_factory.mktemp("tbx") / "logdir",
        {0: vectors, 10: vectors * 2},
        rows,
        ["name", "cls"],
        label_img=images,
    )
    return WrittenLogdir(path, vectors, rows, images)


@pytest.fixture
def tf2_copy(tf2_logdir, tmp_path) -> Path:
    """A private, writable copy of the TF2 logdir."""
    return copy_logdir(tf2_logdir.path, tmp_path / "logdir")


@pytest.fixture
def tf():
    """TensorFlow, for tests that write checkpoints themselves."""
    from tests.logdirs import _tf

    return _tf()
