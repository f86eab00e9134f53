from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from projector.alignment import (
    align_pca,
    change_score,
    match_rows,
    most_changed,
    moved_since,
    neighborhood_change,
)
from projector.errors import InputError
from projector.neighbors import METRICS
from projector.pca import PCAResult, pca


def _data(n: int, scales: list[float], seed: int = 0) -> np.ndarray:
    """Points with the given variance per direction, rotated into the space, off-centre."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((len(scales), len(scales))))
    return (rng.standard_normal((n, len(scales))) * np.array(scales)) @ rotation + 2.0


def _assert_same(result: PCAResult, expected: PCAResult, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(result.components, expected.components, atol=1e-10)
    np.testing.assert_allclose(result.coords, expected.coords, atol=1e-5)
    np.testing.assert_allclose(result.explained_variance_ratio, expected.explained_variance_ratio, rtol=rtol)


def test_a_planted_sign_flip_and_swap_are_undone():
    previous = pca(_data(300, [5, 4, 3, 2, 1, 0.5]), n_components=4)
    order, signs = np.array([2, 0, 3, 1]), np.array([-1.0, 1.0, -1.0, -1.0])
    planted = PCAResult(
        coords=previous.coords[:, order] * signs.astype(np.float32),
        explained_variance_ratio=previous.explained_variance_ratio[order],
        components=previous.components[order] * signs[:, None],
    )
    _assert_same(align_pca(previous.components, planted), previous)
    _assert_same(align_pca(previous.components, previous), previous)  # nothing to undo: unchanged


def test_a_planted_rotation_is_undone_with_rotate_and_kept_without():
    previous = pca(_data(300, [5, 4, 3, 2, 1, 0.5]), n_components=3)
    rotation, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))
    planted = PCAResult(
        coords=(previous.coords.astype(np.float64) @ rotation).astype(np.float32),
        explained_variance_ratio=(rotation**2).T @ previous.explained_variance_ratio,
        components=rotation.T @ previous.components,
    )
    _assert_same(align_pca(previous.components, planted, rotate=True), previous, rtol=1e-5)
    # restricted to signed permutations, every axis stays one of the current components
    kept = align_pca(previous.components, planted)
    overlap = np.abs(kept.components @ planted.components.T)
    assert sorted(np.argmax(overlap, axis=1).tolist()) == [0, 1, 2]
    np.testing.assert_allclose(np.sort(overlap.max(axis=1)), 1.0, atol=1e-12)


def test_steps_whose_top_variances_swap_keep_their_axes():
    rng = np.random.default_rng(2)
    basis, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    noise = rng.standard_normal((2000, 8))
    step1 = (noise * [3.0, 2.0, 1.5, 1.0, 0.5, 0.4, 0.3, 0.2]) @ basis
    step2 = (noise * [2.0, 3.0, 1.5, 1.0, 0.5, 0.4, 0.3, 0.2]) @ basis  # the top two directions trade places
    first, second = pca(step1, n_components=3), pca(step2, n_components=3)
    assert abs(float(first.components[0] @ second.components[0])) < 0.1  # PCA alone swaps the axes
    aligned = align_pca(first.components, second)
    np.testing.assert_allclose(np.diag(aligned.components @ first.components.T), 1.0, atol=0.01)
    assert aligned.explained_variance_ratio[0] < aligned.explained_variance_ratio[1]  # ratios follow their axes
    centred = step2 - step2.mean(axis=0)
    np.testing.assert_allclose(aligned.coords, centred @ aligned.components.T, atol=1e-4)
    for chosen in (aligned, align_pca(first.components, second, rotate=True)):
        variance = chosen.coords.astype(np.float64).var(axis=0) * len(step2) / np.sum(centred**2)
        np.testing.assert_allclose(chosen.explained_variance_ratio, variance, rtol=1e-4)


def test_different_numbers_of_components_and_bad_input():
    data = _data(200, [5, 4, 3, 2, 1])
    previous, current = pca(data, n_components=2), pca(data, n_components=4)
    aligned = align_pca(previous.components, current)
    assert aligned.coords.shape == (200, 4)
    np.testing.assert_allclose(aligned.components, current.components, atol=1e-12)  # nothing moved
    with pytest.raises(InputError, match="as many components"):
        align_pca(previous.components, current, rotate=True)
    with pytest.raises(InputError, match="k × 5"):
        align_pca(np.eye(2, 4), current)
    with pytest.raises(InputError, match="components"):
        align_pca(previous.components, PCAResult(current.coords, current.explained_variance_ratio))


def _brute_change(first: np.ndarray, second: np.ndarray, k: int, metric: str) -> np.ndarray:
    """A double loop over pairs in float64, ties by lower row."""

    def distance(u: np.ndarray, v: np.ndarray) -> float:
        if metric == "euclidean":
            return float(np.sqrt(np.sum((u - v) ** 2)))
        return float(1.0 - np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))

    def neighbours(vectors: np.ndarray, i: int) -> set[int]:
        pairs = sorted((distance(vectors[i], vectors[j]), j) for j in range(len(vectors)) if j != i)
        return {j for _, j in pairs[:k]}

    scores = []
    for i in range(len(first)):
        a = neighbours(first.astype(np.float32).astype(np.float64), i)
        b = neighbours(second.astype(np.float32).astype(np.float64), i)
        scores.append(1.0 - len(a & b) / len(a | b))
    return np.array(scores)


@pytest.mark.parametrize("metric", METRICS)
def test_neighborhood_change_equals_a_double_loop(metric):
    rng = np.random.default_rng(3)
    first = rng.normal(size=(80, 5))
    second = first @ rng.normal(size=(5, 9)) + rng.normal(size=(80, 9)) * 0.8  # another model, other D
    scores = neighborhood_change(first, second, k=6, metric=metric)
    assert scores.dtype == np.float32 and scores.shape == (80,)
    np.testing.assert_allclose(scores, _brute_change(first, second, 6, metric), atol=1e-6)
    assert np.all((scores >= 0) & (scores <= 1)) and scores.max() > 0


@pytest.mark.parametrize("metric", METRICS)
def test_neighborhood_change_is_zero_for_the_same_neighbours(metric):
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(300, 16)) + 1.0
    rotation, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    assert not np.any(neighborhood_change(vectors, vectors.copy(), k=10, metric=metric))
    assert not np.any(neighborhood_change(vectors, vectors * 7.5, k=10, metric=metric))
    assert not np.any(neighborhood_change(vectors, vectors @ rotation, k=10, metric=metric))
    if metric == "euclidean":
        assert not np.any(neighborhood_change(vectors, 0.3 * vectors @ rotation - 4.0, k=10, metric=metric))


def test_neighborhood_change_clips_k_and_refuses_mismatched_rows():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert not np.any(neighborhood_change(a, b, k=50))  # every other point is a neighbour on both sides
    assert neighborhood_change(a[:1], b[:1]).tolist() == [0.0]
    with pytest.raises(InputError, match="same points"):
        neighborhood_change(a, b[:3])
    with pytest.raises(InputError, match="cosine, euclidean"):
        neighborhood_change(a, b, metric="manhattan")


def test_a_planted_moved_point_ranks_first():
    rng = np.random.default_rng(6)
    earlier = rng.normal(size=(500, 12))
    later = earlier + rng.normal(size=(500, 12)) * 0.02
    later[137] += 3.0
    later[42] += 0.5
    for metric in METRICS:
        moved = moved_since(earlier, later, metric=metric)
        assert moved.dtype == np.float32 and np.all(moved >= 0)
        assert most_changed(moved, 2).tolist() == [137, 42]
    moved = moved_since(earlier, later)
    score = change_score(moved, neighborhood_change(earlier, later, k=10, metric="euclidean"))
    assert np.all((score >= 0) & (score < 1))
    assert most_changed(score, 1).tolist() == [137]


def test_one_means_a_typical_nearest_neighbour_distance():
    rng = np.random.default_rng(7)
    earlier = rng.normal(size=(400, 6))
    gaps = np.sort(np.linalg.norm(earlier[:, None] - earlier[None], axis=2), axis=1)[:, 1]
    later = earlier.copy()
    later[9, 0] += np.median(gaps)
    moved = moved_since(earlier, later)
    assert moved[9] == pytest.approx(1.0, rel=1e-6)
    assert np.count_nonzero(moved) == 1
    assert moved_since(np.zeros((3, 2)), np.ones((3, 2))).tolist() == pytest.approx([np.sqrt(2)] * 3)
    with pytest.raises(InputError, match="same shape"):
        moved_since(earlier, later[:, :5])


def test_most_changed_breaks_ties_by_row_and_puts_nan_last():
    scores = np.array([0.5, 0.9, 0.5, np.nan, 0.9, 0.1])
    assert most_changed(scores, 10).tolist() == [1, 4, 0, 2, 5, 3]
    assert most_changed(scores, 2).tolist() == [1, 4]
    assert most_changed(scores, 0).tolist() == []
    with pytest.raises(InputError, match="at least 0"):
        most_changed(scores, -1)


def test_matching_pairs_reordered_rows_by_position():
    first = pd.Series(["cat", "dog", "eel", "fox"], name="word", index=[10, 11, 12, 13])
    second = pd.Series(["eel", "cat", "fox", "dog"], name="word")
    match = match_rows(first, second)
    assert match.first.tolist() == [0, 1, 2, 3] and match.second.tolist() == [1, 3, 0, 2]
    assert match.first.dtype == np.int64 and match.second.dtype == np.int64
    assert match.message == "4 rows matched."
    assert (first.iloc[match.first].to_numpy() == second.iloc[match.second].to_numpy()).all()


def test_matching_refuses_duplicates_naming_them():
    first = pd.Series(["a", "b", "a", "c", "c", "c", "d"], name="word")
    with pytest.raises(InputError, match=r"'word'.*2 keys repeat in the first table \(5 rows; e\.g\. 'a', 'c'\)"):
        match_rows(first, pd.Series(["a", "b", "c", "d"]))
    with pytest.raises(InputError, match="repeat in the second table"):
        match_rows(pd.Series(["a", "b"]), pd.Series(["b", "b", "a"]))


def test_missing_rows_are_refused_or_matched_in_part():
    first = pd.Series(["a", "b", "c", None, "e"], name="id")
    second = pd.Series(["e", "x", "a", None, "y", "z"], name="id")
    with pytest.raises(InputError, match=r"2 rows matched; 3 of the first table .*'b', 'c', '\(empty\)'"):
        match_rows(first, second)
    match = match_rows(first, second, partial=True)
    assert match.first.tolist() == [0, 4] and match.second.tolist() == [2, 0]  # an empty key matches nothing
    assert (match.first_only, match.second_only) == (3, 4)
    assert match.message == (
        "2 rows matched; 3 of the first table have no match ('b', 'c', '(empty)'); "
        "4 of the second table have no match ('x', '(empty)', 'y', 'z')."
    )
    with pytest.raises(InputError, match="no key is in both tables"):
        match_rows(pd.Series(["1", "2"]), pd.Series([1, 2]), partial=True)  # text is not a number
