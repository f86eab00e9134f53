"""Colour by what moved since a training step: the option, the scores and the most-changed points."""

from __future__ import annotations

import numpy as np
import pytest

from projector import moved
from projector.alignment import change_score, moved_since, neighborhood_change
from projector.colors import FIRST_CODE
from projector.errors import InputError
from projector.moved import StepChange, change_between, moved_options, moved_step
from projector.workspace import Workspace
from tests.logdirs import write_tensorboardx_steps


def test_a_tensor_with_steps_offers_one_option_per_step():
    assert moved_options(()) == [] and moved_options((7,)) == []
    options = moved_options((0, 1000, 2000))
    assert [o["label"] for o in options] == ["moved since step 0", "moved since step 1,000", "moved since step 2,000"]
    assert [moved_step(o["value"], []) for o in options] == [0, 1000, 2000]


def test_a_metadata_column_of_that_name_stays_a_column():
    assert moved_step("moved since step 5", ["moved since step 5"]) is None
    for value in (None, 5, "moved since step ", "moved since step -1", "moved since step 5x", "label"):
        assert moved_step(value, []) is None


def drifted(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two steps of ``n`` points in two blobs; the last five points jump to the other blob."""
    rng = np.random.default_rng(seed)
    centers = np.where(np.arange(n)[:, None] < n // 2, -5.0, 5.0) * np.ones((1, 8))
    earlier = (centers + rng.standard_normal((n, 8))).astype(np.float32)
    later = earlier + 0.01 * rng.standard_normal((n, 8)).astype(np.float32)
    later[-5:] -= 10.0  # from the +5 blob to the -5 one
    return earlier, later


def test_the_points_that_jumped_score_highest():
    earlier, later = drifted(200)
    change = change_between(earlier, later)
    assert change.with_neighbourhood
    expected = change_score(
        moved_since(earlier, later), neighborhood_change(earlier, later, moved.NEIGHBOURS, "euclidean")
    )
    np.testing.assert_allclose(change.scores, expected)
    assert set(np.argsort(-change.scores)[:5].tolist()) == set(range(195, 200))
    assert change.scores.min() >= 0 and change.scores.max() < 1
    assert "neighbours lost" in change.note


def test_above_the_limit_only_the_distance_counts_and_it_says_so(monkeypatch):
    monkeypatch.setattr(moved, "MAX_NEIGHBOURHOOD_ROWS", 100)
    earlier, later = drifted(200)
    change = change_between(earlier, later)
    distance = moved_since(earlier, later)
    assert not change.with_neighbourhood
    np.testing.assert_allclose(change.scores, distance / (1 + distance), rtol=1e-6)
    assert "isolate fewer" in change.note and "100 points" in change.note


@pytest.fixture(scope="module")
def stepped(tmp_path_factory):
    """``features`` saved at steps 0, 5 and 10: 40 points, the last five jump between steps 0 and 5."""
    earlier, later = drifted(40, seed=1)
    rows = [f"p{i}" for i in range(40)]
    calls = [("features", 0, earlier, rows), ("features", 5, later, rows), ("features", 10, later, rows)]
    root = write_tensorboardx_steps(tmp_path_factory.mktemp("moved") / "logdir", calls)
    return Workspace(root, cache_root=tmp_path_factory.mktemp("cache"))


def test_the_workspace_colours_a_step_by_what_moved_since_another(stepped):
    key = stepped.listing(".").specs[0].key
    shown = stepped.dataset(key, step=5)
    change = stepped.change_since(shown, 0, None)
    assert isinstance(change, StepChange) and change.scores.shape == (40,)
    encoding = stepped.color_encoding(shown, "moved since step 0", None)
    assert encoding.kind == "numeric"
    assert encoding.codes[-5:].min() > encoding.codes[:35].max() >= FIRST_CODE
    subset = np.arange(20, 40)
    isolated = stepped.change_since(shown, 0, subset)
    assert isolated.scores.shape == (20,)  # scored among the visible rows only
    assert stepped.color_encoding(shown, "moved since step 0", subset).codes.shape == (20,)
    assert not stepped.change_since(stepped.dataset(key), 5, None).scores.any()  # steps 5 and 10 are equal


def test_a_step_the_tensor_does_not_have_is_named(stepped):
    key = stepped.listing(".").specs[0].key
    with pytest.raises(InputError, match="step"):
        stepped.change_since(stepped.dataset(key), 3, None)
