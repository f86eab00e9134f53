from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from google.protobuf import text_format
from sklearn.datasets import load_digits
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

from projector.dataset import load_dataset
from projector.demo import CELL, default_cache_dir, ensure_demo_logdir
from projector.logdir import find_runs, list_embeddings
from projector.metadata import is_numeric_column, numeric_values


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    return ensure_demo_logdir(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def digits():
    return load_digits()


def test_demo_is_a_tf2_howto_logdir(demo):
    assert demo.name == "demo-digits"
    assert {p.name for p in demo.iterdir()} == {
        "checkpoint",
        "embedding.ckpt-1.index",
        "embedding.ckpt-1.data-00000-of-00001",
        "metadata.tsv",
        "sprite.png",
        "projector_config.pbtxt",
    }
    config = text_format.Parse((demo / "projector_config.pbtxt").read_text(), ProjectorConfig())
    (embedding,) = config.embeddings
    assert embedding.tensor_name == "embedding/.ATTRIBUTES/VARIABLE_VALUE"
    assert embedding.metadata_path == "metadata.tsv"
    assert embedding.sprite.image_path == "sprite.png"
    assert list(embedding.sprite.single_image_dim) == [CELL, CELL]
    assert not config.model_checkpoint_path


def test_demo_loads_as_the_digits(demo, digits):
    assert find_runs(demo) == ["."]
    listing = list_embeddings(demo, ".")
    assert listing.problems == []
    (spec,) = listing.specs
    assert (spec.name, spec.tensor_shape) == ("embedding", (1797, 64))
    data = load_dataset(demo, spec)
    assert data.warnings == []
    np.testing.assert_array_equal(data.vectors, digits.data.astype(np.float32))
    assert data.metadata.columns.tolist() == ["digit", "ink"]
    assert data.metadata["digit"].astype(int).tolist() == digits.target.tolist()
    assert is_numeric_column(data.metadata["ink"])
    np.testing.assert_allclose(numeric_values(data.metadata["ink"]), digits.images.mean(axis=(1, 2)), atol=0.005)


def test_demo_sprite_holds_real_dark_on_white_digits(demo, digits):
    data = load_dataset(demo, list_embeddings(demo, ".").specs[0])
    assert data.sprite.n == 1797 and data.sprite.cell == (CELL, CELL)
    assert max(data.sprite.image.size) <= 8192
    for i in (0, 42, 1796):
        thumb = np.asarray(data.sprite.thumbnail(i).convert("L")).astype(int)
        expected = np.round(255 - digits.images[i] * 255 / 16).astype(int)
        scale = CELL // 8
        np.testing.assert_array_equal(thumb[::scale, ::scale], expected)
        assert thumb.shape == (CELL, CELL)


def test_second_call_does_not_rewrite(demo):
    before = {p.name: p.stat().st_mtime_ns for p in demo.iterdir()}
    assert ensure_demo_logdir(demo.parent) == demo
    assert {p.name: p.stat().st_mtime_ns for p in demo.iterdir()} == before
    assert [p.name for p in demo.parent.iterdir()] == ["demo-digits"]  # no staging leftovers


def test_half_written_demo_is_replaced(tmp_path):
    broken = tmp_path / "demo-digits"
    broken.mkdir()
    (broken / "metadata.tsv").write_text("partial")
    path = ensure_demo_logdir(tmp_path)
    assert path == broken and (path / "projector_config.pbtxt").is_file()
    assert (path / "metadata.tsv").read_text().startswith("digit\tink\n0\t")


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "embedding-projector"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "embedding-projector"
