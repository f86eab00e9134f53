"""projector.writer: what it writes reads back through the app's own loaders unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

from projector.dataset import load_dataset
from projector.logdir import find_runs, list_embeddings
from projector.sprites import MAX_SPRITE_SIDE
from projector.writer import _check_grid, _fitting_size, metadata_tsv, write_embedding
from tests.logdirs import write_tensorboardx_logdir


def load(logdir, name: str):
    listing = list_embeddings(logdir, ".")
    assert listing.problems == []
    spec = next(s for s in listing.specs if s.name == name)
    return spec, load_dataset(logdir, spec)


def rgb(sprite, i: int, mode: str = "RGB") -> np.ndarray:
    return np.asarray(sprite.thumbnail(i).convert(mode))


def config_of(logdir) -> ProjectorConfig:
    config = ProjectorConfig()
    text_format.Parse((logdir / "projector_config.pbtxt").read_text(encoding="utf-8"), config)
    return config


def test_npy_dataframe_and_sprite_read_back_unchanged(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(10, 5))  # float64 in, float32 stored
    frame = pd.DataFrame(
        {
            "word": [f"w{i}" for i in range(10)],
            "group": [i % 3 for i in range(10)],
            "score": [0.5, None, np.nan, 1.25, 2, 3, 4, 5, 6, 7],
            "note": ["tab\there", "line\nbreak", "cr\r", "", None, pd.NA, "x", "y", "z", "é"],
        }
    )
    images = rng.integers(0, 256, size=(10, 4, 6, 3), dtype=np.uint8)  # h=4, w=6
    logdir = tmp_path / "logs"

    folder = write_embedding(logdir, vectors, metadata=frame, images=images)

    assert folder == logdir / "embedding" and (folder / "tensor.npy").is_file()
    assert find_runs(logdir) == ["."]
    spec, data = load(logdir, "embedding")
    assert spec.tensor_shape == (10, 5) and spec.sprite_dim == (6, 4)
    assert data.warnings == []
    np.testing.assert_array_equal(data.vectors, vectors.astype(np.float32))
    assert data.metadata.columns.tolist() == ["word", "group", "score", "note"]
    assert data.metadata["word"].tolist() == frame["word"].tolist()
    assert data.metadata["group"].tolist() == [str(i % 3) for i in range(10)]
    assert data.metadata["score"].tolist() == ["0.5", "", "", "1.25", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0"]
    assert data.metadata["note"].tolist() == ["tab here", "line break", "cr ", "", "", "", "x", "y", "z", "é"]
    assert data.sprite.n == 10
    for i in range(10):
        np.testing.assert_array_equal(rgb(data.sprite, i), images[i])


def test_config_entry_uses_relative_paths_tensorboard_can_parse(tmp_path):
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    write_embedding(tmp_path, vectors, name="words", metadata=list("abcd"), images=np.zeros((4, 2, 2), np.uint8))
    (entry,) = config_of(tmp_path).embeddings
    assert entry.tensor_name == "words"
    assert entry.tensor_path == "words/tensor.npy"
    assert list(entry.tensor_shape) == [4, 3]
    assert entry.metadata_path == "words/metadata.tsv"
    assert entry.sprite.image_path == "words/sprite.png"
    assert list(entry.sprite.single_image_dim) == [2, 2]
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    "labels",
    [
        ["cat", "dog", None, "a\tb"],
        np.array(["cat", "dog", None, "a\tb"], dtype=object),
        pd.DataFrame({"animal": ["cat", "dog", None, "a\tb"]}),
    ],
    ids=["list", "array", "one-column-frame"],
)
def test_single_column_metadata_has_no_header(tmp_path, labels):
    write_embedding(tmp_path, np.eye(4), metadata=labels)
    lines = (tmp_path / "embedding" / "metadata.tsv").read_text(encoding="utf-8").split("\n")
    assert lines == ["cat", "dog", "", "a b", ""]  # N lines, then the final newline
    _, data = load(tmp_path, "embedding")
    assert data.metadata.columns.tolist() == ["label"]
    assert data.metadata["label"].tolist() == ["cat", "dog", "", "a b"]


def test_logdir_metadata_keeps_formula_like_text_verbatim(tmp_path):
    """A logdir's metadata.tsv is data for TensorBoard and the app, not a download: nothing is neutralised."""
    words = ['=HYPERLINK("http://x","y")', "-abc", "@SUM(A1)", "+1"]
    frame = pd.DataFrame({"word": words, "score": [-3.5, 0.5, -1.0, 2.0]})
    assert metadata_tsv(frame, 4).split("\n")[1:3] == ['=HYPERLINK("http://x","y")\t-3.5', "-abc\t0.5"]
    write_embedding(tmp_path, np.eye(4), metadata=frame)
    _, data = load(tmp_path, "embedding")
    assert data.metadata["word"].tolist() == words
    assert data.metadata["score"].tolist() == ["-3.5", "0.5", "-1.0", "2.0"]


def test_tsv_tensor_round_trips_float32_exactly(tmp_path):
    rng = np.random.default_rng(1)
    vectors = rng.normal(scale=1e3, size=(7, 4)).astype(np.float32)
    vectors[0] = [np.pi, -0.1, 1e-30, np.finfo(np.float32).max]
    vectors[1] = [0.0, -0.0, np.finfo(np.float32).tiny, 1 / 3]
    folder = write_embedding(tmp_path, vectors, tensor_format="tsv")
    assert (folder / "tensor.tsv").is_file() and not (folder / "tensor.npy").exists()
    spec, data = load(tmp_path, "embedding")
    assert spec.tensor_path.endswith("tensor.tsv") and spec.tensor_shape == (7, 4)
    np.testing.assert_array_equal(data.vectors, vectors)


def test_float_grayscale_images_become_uint8_cells(tmp_path):
    rng = np.random.default_rng(2)
    images = rng.random((5, 3, 2))  # (N, h, w) floats in [0, 1]
    write_embedding(tmp_path, rng.normal(size=(5, 2)), images=images[..., None])  # (N, h, w, 1) too
    spec, data = load(tmp_path, "embedding")
    assert spec.sprite_dim == (2, 3)
    assert data.sprite.image.size == (3 * 2, 2 * 3)  # ceil(sqrt(5)) = 3 columns, 2 rows
    for i in range(5):
        np.testing.assert_array_equal(rgb(data.sprite, i, "L"), (images[i] * 255).round().astype(np.uint8))


def test_pil_images_are_resized_to_thumbnail_size(tmp_path):
    rng = np.random.default_rng(3)
    pictures = [
        Image.fromarray(rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8), "RGBA")
        for h, w in [(10, 8), (12, 12), (9, 7)]
    ]
    with pytest.raises(ValueError, match="differ in size.*thumbnail_size"):
        write_embedding(tmp_path, np.eye(3), images=pictures)
    write_embedding(tmp_path, np.eye(3), images=pictures, thumbnail_size=(5, 6))
    spec, data = load(tmp_path, "embedding")
    assert spec.sprite_dim == (5, 6)
    for i, picture in enumerate(pictures):
        expected = np.asarray(picture.resize((5, 6), Image.Resampling.LANCZOS))
        np.testing.assert_array_equal(rgb(data.sprite, i, "RGBA"), expected)


def test_two_embeddings_are_listed_and_rewriting_one_keeps_the_other(tmp_path):
    rng = np.random.default_rng(4)
    first, second = rng.normal(size=(6, 3)), rng.normal(size=(8, 2))
    write_embedding(tmp_path, first, name="first", metadata=list("abcdef"))
    write_embedding(tmp_path, second, name="second", tensor_format="tsv")
    assert [s.name for s in list_embeddings(tmp_path, ".").specs] == ["first", "second"]

    replaced = rng.normal(size=(9, 4))
    write_embedding(tmp_path, replaced, name="first", images=np.zeros((9, 2, 2), np.uint8))
    specs = list_embeddings(tmp_path, ".").specs
    assert [s.name for s in specs] == ["first", "second"]  # replaced in place, not appended
    spec, data = load(tmp_path, "first")
    np.testing.assert_array_equal(data.vectors, replaced.astype(np.float32))
    assert spec.metadata_path is None and spec.sprite_path is not None  # the old entry's fields are gone
    _, other = load(tmp_path, "second")
    np.testing.assert_array_equal(other.vectors, second.astype(np.float32))


def test_entries_written_by_tensorboardx_are_kept(tmp_path):
    steps = {0: np.random.default_rng(5).normal(size=(4, 3))}
    write_tensorboardx_logdir(tmp_path, steps, [("a", 1), ("b", 2), ("c", 3), ("d", 4)], ["word", "n"])
    before = [s.name for s in list_embeddings(tmp_path, ".").specs]
    write_embedding(tmp_path, np.eye(3), name="mine")
    assert [s.name for s in list_embeddings(tmp_path, ".").specs] == [*before, "mine"]


def test_oversize_sprite_is_refused_with_a_size_that_fits(tmp_path):
    images = np.broadcast_to(np.zeros((1, 3000, 3000), np.uint8), (5, 3000, 3000))  # no 45 MB allocation
    with pytest.raises(ValueError) as caught:
        write_embedding(tmp_path / "logs", np.eye(5), images=images)
    message = str(caught.value)
    assert "9,000×6,000 px" in message and str(MAX_SPRITE_SIDE) in message
    assert "thumbnail_size=(2730, 2730)" in message
    assert not (tmp_path / "logs").exists()  # nothing written


@pytest.mark.parametrize("n, cell", [(5, (3000, 3000)), (10_000, (64, 32)), (1_000_000, (28, 28)), (2, (9000, 10))])
def test_suggested_thumbnail_size_fits_and_keeps_the_aspect(n, cell):
    width, height = _fitting_size(n, cell)
    _check_grid(n, (width, height))  # does not raise
    with pytest.raises(ValueError):
        _check_grid(n, (width + 1, height + 1))
    assert abs(width / height - cell[0] / cell[1]) <= max(cell[0] / cell[1], 1) * 0.5


def test_more_points_than_any_sprite_can_hold_are_refused():
    with pytest.raises(ValueError, match="fewer points"):
        _check_grid((MAX_SPRITE_SIDE + 1) ** 2, (1, 1))


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"metadata": list("abc")}, "metadata has 3 rows but vectors have 4"),
        ({"metadata": pd.DataFrame({"a": range(5), "b": range(5)})}, "metadata has 5 rows but vectors have 4"),
        ({"images": np.zeros((5, 2, 2), np.uint8)}, "images has 5 rows but vectors have 4"),
        ({"images": [Image.new("L", (2, 2))] * 3}, "images has 3 rows but vectors have 4"),
    ],
)
def test_length_mismatches_are_refused_before_writing(tmp_path, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        write_embedding(tmp_path / "logs", np.eye(4), **kwargs)
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize(
    "vectors, shown",
    [
        (np.ones(5), r"\(5,\)"),
        (np.ones((1, 5)), r"\(1, 5\)"),
        (np.ones((5, 1)), r"\(5, 1\)"),
        (np.ones((2, 2, 2)), r"\(2, 2, 2\)"),
    ],
)
def test_vectors_that_are_not_a_matrix_are_refused(tmp_path, vectors, shown):
    with pytest.raises(ValueError, match=shown):
        write_embedding(tmp_path, vectors)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"vectors": np.array([["a", "b"], ["c", "d"]])}, "pass a 2-D array of numbers"),
        ({"tensor_format": "bin"}, "choose one of npy, tsv"),
        ({"name": "a/b"}, "without slashes"),
        ({"name": ".."}, "without slashes"),
        ({"metadata": [("a", 1)] * 4}, "Pass a DataFrame"),
        ({"metadata": "abcd"}, "sequence of N labels"),
        ({"images": np.full((4, 2, 2), 255.0)}, r"\[0, 1\].*divide by 255"),
        ({"images": np.zeros((4, 3, 8, 8), np.uint8)}, r"transpose\(0, 2, 3, 1\)"),
        ({"thumbnail_size": (4, 4)}, "without images"),
        ({"images": np.zeros((4, 2, 2), np.uint8), "thumbnail_size": (0, 4)}, "positive whole pixels"),
    ],
)
def test_unusable_arguments_say_what_to_change(tmp_path, kwargs, pattern):
    arguments = {"vectors": np.eye(4), **kwargs}
    with pytest.raises(ValueError, match=pattern):
        write_embedding(tmp_path / "logs", arguments.pop("vectors"), **arguments)
    assert not (tmp_path / "logs").exists()


def test_a_broken_config_is_refused_and_left_alone(tmp_path):
    (tmp_path / "projector_config.pbtxt").write_text("embeddings { nonsense: 1 }\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot be parsed.*fix or remove it"):
        write_embedding(tmp_path, np.eye(3))
    assert (tmp_path / "projector_config.pbtxt").read_text(encoding="utf-8") == "embeddings { nonsense: 1 }\n"
    assert not (tmp_path / "embedding").exists()


def test_writing_does_not_import_tensorflow(tmp_path):
    script = (
        "import sys, numpy as np\n"
        "from projector.writer import write_embedding\n"
        f"write_embedding({str(tmp_path)!r}, np.eye(3), metadata=['a', 'b', 'c'], images=np.zeros((3, 2, 2)))\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[1])
    assert (tmp_path / "projector_config.pbtxt").is_file()


def test_a_single_pil_image_is_refused(tmp_path):
    with pytest.raises(TypeError, match="one image per point"):
        write_embedding(tmp_path, np.eye(2), images=Image.new("RGB", (4, 4)))
