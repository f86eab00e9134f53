"""Start-up warm-up: the first tensor read and projected into the workspace's caches, in a thread."""

from __future__ import annotations

import numpy as np
import pytest

from projector.warmup import WarmUp
from projector.workspace import Workspace
from tests.logdirs import write_tf2_logdir


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    rows = [["a" if i % 2 else "b", str(i)] for i in range(60)]
    write_tf2_logdir(tmp_path / "logdir", vectors, metadata_rows=rows, header=["kind", "name"])
    return Workspace(tmp_path / "logdir", cache_root=tmp_path / "cache")


def test_warm_up_fills_the_caches_a_visitor_reads(workspace, monkeypatch):
    warmup = WarmUp(workspace, "data")
    assert warmup.status == "Starting up…"
    warmup.start()
    assert warmup.data_ready.wait(120)
    warmup.wait()
    assert warmup.status == ""
    key = workspace.listing(workspace.runs()[0]).specs[0].key
    calls = []
    monkeypatch.setattr("projector.workspace.pca", lambda *a: calls.append(a))
    result = workspace.pca(workspace.dataset(key), None, False)
    assert result.coords.shape == (60, 8) and not calls  # served from the warm-up, not computed again


def test_warm_up_survives_a_broken_logdir(tmp_path):
    (tmp_path / "logdir").mkdir()
    (tmp_path / "logdir" / "projector_config.pbtxt").write_text("embeddings { tensor_path: ")
    warmup = WarmUp(Workspace(tmp_path / "logdir", cache_root=tmp_path / "cache"), "data").start()
    assert warmup.data_ready.wait(60) and warmup.status == ""


def test_no_warm_up_and_unknown_steps(workspace):
    assert WarmUp(workspace, "none").start().status == ""
    with pytest.raises(ValueError, match="all, data, none"):
        WarmUp(workspace, "most")
