"""Clusters found on planted groups, and their names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from projector.clusters import (
    NOISE,
    check_min_size,
    cluster_names,
    cluster_values,
    default_min_size,
    find_clusters,
    reduced,
    renumbered,
)
from projector.errors import InputError

SIZES = (150, 100, 60)


def planted(dim: int, seed: int = 0, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 12, size=(len(SIZES), dim))
    truth = np.repeat(np.arange(len(SIZES)), SIZES)
    return centres[truth] + rng.normal(0, spread, size=(len(truth), dim)), truth


@pytest.mark.parametrize("dim", [2, 128])  # a 2D layout, and vectors that go through the PCA
def test_planted_groups_are_found(dim):
    points, truth = planted(dim)
    found = find_clusters(points, default_min_size(len(points)))
    assert adjusted_rand_score(truth, found) >= 0.9
    assert set(np.unique(found[found != NOISE])) == {0, 1, 2}
    assert [int((found == i).sum()) >= 0.9 * size for i, size in enumerate(SIZES)] == [True] * 3  # largest first


def test_scattered_points_are_noise_a_class_of_their_own():
    points, truth = planted(2)
    rng = np.random.default_rng(1)
    stray = rng.uniform(-200, 200, size=(20, 2))
    found = find_clusters(np.vstack([points, stray]), 10)
    assert (found[len(truth) :] == NOISE).mean() >= 0.9
    assert adjusted_rand_score(truth, found[: len(truth)]) >= 0.9


@pytest.mark.parametrize("dim", [2, 128])
def test_above_the_fitted_sample_every_point_joins_its_nearest_sampled_points_cluster(dim):
    points, truth = planted(dim)
    found = find_clusters(points, default_min_size(len(points)), max_fit=len(points) // 4)
    assert adjusted_rand_score(truth, found) >= 0.9 and set(np.unique(found)) >= {0, 1, 2}
    again = find_clusters(points, default_min_size(len(points)), max_fit=len(points) // 4)
    assert np.array_equal(found, again)  # seeded


def test_pca_only_above_fifty_dimensions():
    points, _ = planted(128)
    assert reduced(points).shape == (len(points), 50)
    assert reduced(points[:, :30]).shape == (len(points), 30)


def test_renumbered_by_size_with_noise_kept():
    assert renumbered(np.array([4, 4, -1, 7, 7, 7, 2])).tolist() == [1, 1, -1, 0, 0, 0, 2]
    assert renumbered(np.array([-1, -1])).tolist() == [-1, -1]


def test_text_names_hold_each_group_s_distinctive_word():
    labels = np.repeat([0, 1, 2], 30)
    words = ["volcano", "glacier", "desert"]
    extra = ["lava", "ice", "sand", "wind", "rain"]
    texts = [f"the {words[g]} and {extra[i % 5]} near a town, seen from the road {i}" for i, g in enumerate(labels)]
    names = cluster_names(labels, pd.Series(texts))
    assert len(names) == 3
    for name, word in zip(names, words):
        assert name.split()[0] == word, name
        assert len(name.split()) <= 4 and not {"the", "and", "road"} & set(name.split())


def test_categorical_names_name_the_top_value_and_its_share():
    labels = np.array([0] * 10 + [1] * 4 + [NOISE] * 3)
    kinds = ["Fire"] * 9 + ["Water"] + ["Grass"] * 3 + ["Fire"] + ["Water"] * 3
    assert cluster_names(labels, pd.Series(kinds)) == ["Fire 90 %", "Grass 75 %"]


def test_class_ids_name_a_cluster_by_the_top_id_and_its_share_as_colours_treat_them():
    labels = np.array([0] * 10 + [1] * 10)
    digits = pd.Series([str(d) for d in [7] * 9 + [1] + [3] * 8 + [8] * 2])
    assert cluster_names(labels, digits) == ["7 90 %", "3 80 %"]


def test_numeric_names_give_the_cluster_s_range_and_none_numbers_them():
    labels = np.array([0] * 10 + [1] * 10)
    values = pd.Series(np.r_[np.full(10, 3.0), np.linspace(100, 200, 10)])
    names = cluster_names(labels, values)
    assert names[0] == "3" and names[1].startswith("1") and " to " in names[1]
    assert cluster_names(labels, None) == ["cluster 1", "cluster 2"]


def test_the_cluster_column_numbers_names_and_says_noise():
    values = cluster_values(np.array([1, 0, NOISE, 1]), ["cats", "dogs\tand more"])
    assert values.tolist() == ["2 · dogs and more", "1 · cats", "noise", "2 · dogs and more"]


@pytest.mark.parametrize("value", [1, 0, -3, 2.5, "x", None, True, [5], 10_000])
def test_a_minimum_size_out_of_bounds_is_refused_with_a_message(value):
    with pytest.raises(InputError, match="minimum cluster size"):
        check_min_size(value, 1000)


def test_default_minimum_size_scales_with_n():
    assert [default_min_size(n) for n in (100, 10_000, 1_000_000)] == [5, 100, 500]
    assert check_min_size("25", 1000) == 25
