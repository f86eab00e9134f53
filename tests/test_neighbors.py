from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import projector.neighbors as neighbors_module
from projector.errors import InputError
from projector.neighbors import METRICS, NeighborIndex


def _brute(vectors: np.ndarray, index: int, k: int, metric: str, subset=None) -> tuple[np.ndarray, np.ndarray]:
    """Float64 brute force on the float32 vectors, ties by lower index."""
    data = vectors.astype(np.float32).astype(np.float64)
    rows = np.arange(len(data)) if subset is None else np.unique(subset)
    rows = rows[rows != index]
    distances = cdist(data[index : index + 1], data[rows], metric=metric)[0]
    order = np.lexsort((rows, distances))[:k]
    return rows[order], distances[order]


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_brute_force(metric, seed):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(600, 24)) + rng.normal(size=24) * 2
    index = NeighborIndex(vectors)
    for point in rng.integers(0, 600, size=5):
        found, distances = index.query(int(point), 15, metric)
        expected, expected_distances = _brute(vectors, int(point), 15, metric)
        assert found.dtype == np.int64 and distances.dtype == np.float32
        assert found.tolist() == expected.tolist()
        np.testing.assert_allclose(distances, expected_distances, rtol=1e-6, atol=1e-7)
        assert point not in found
        assert np.all(np.diff(distances) >= 0)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("size", [20, 300])  # gathered rows, or one full product then a mask
def test_subset_restricts_the_search(metric, size):
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(400, 16))
    subset = rng.choice(400, size=size, replace=False)
    index = NeighborIndex(vectors)
    found, _ = index.query(7, 10, metric, subset=subset)
    expected, _ = _brute(vectors, 7, 10, metric, subset=subset)
    assert found.tolist() == expected.tolist()
    assert set(found.tolist()) <= set(subset.tolist())


@pytest.mark.parametrize("metric", METRICS)
def test_ties_are_broken_by_lower_index(metric):
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    for duplicate in (40, 3, 27, 12):
        vectors[duplicate] = vectors[30]  # four identical points at the same distance from everyone
    found, distances = NeighborIndex(vectors).query(0, 50, metric)
    positions = [found.tolist().index(i) for i in (3, 12, 27, 30, 40)]
    assert positions == sorted(positions) and np.ptp(positions) == 4
    assert len(set(distances[positions].tolist())) == 1
    expected, _ = _brute(vectors, 0, 50, metric)
    assert found.tolist() == expected.tolist()


def test_near_duplicates_are_ranked_exactly():
    rng = np.random.default_rng(5)
    base = rng.normal(size=64).astype(np.float32) * 100
    vectors = base + rng.normal(size=(300, 64)).astype(np.float32) * 1e-3  # differences near float32 rounding
    for metric in METRICS:
        found, _ = NeighborIndex(vectors).query(0, 20, metric)
        assert found.tolist() == _brute(vectors, 0, 20, metric)[0].tolist()


def test_distances_are_cosine_and_euclidean():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [2.0, 0.0]])
    index = NeighborIndex(vectors)
    found, distances = index.query(0, 3, "cosine")
    assert found.tolist() == [3, 1, 2]
    np.testing.assert_allclose(distances, [0.0, 1.0, 2.0], atol=1e-7)
    found, distances = index.query(0, 3, "euclidean")
    assert found.tolist() == [3, 1, 2]
    np.testing.assert_allclose(distances, [1.0, np.sqrt(5.0), 4.0], rtol=1e-6)


def test_k_is_clipped_and_zero_vectors_are_distance_one():
    vectors = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    index = NeighborIndex(vectors)
    found, distances = index.query(0, 10, "cosine")
    assert found.tolist() == [1, 2] and distances.tolist() == [1.0, 1.0]
    found, distances = index.query(1, 10, "euclidean", subset=np.array([1]))
    assert found.size == 0 and distances.size == 0


def test_invalid_arguments_name_the_choices():
    index = NeighborIndex(np.eye(3))
    with pytest.raises(InputError, match="cosine, euclidean"):
        index.query(0, 2, "manhattan")
    with pytest.raises(InputError, match="at least 1"):
        index.query(0, 0)
    with pytest.raises(InputError, match="does not exist"):
        index.query(3, 1)
    with pytest.raises(InputError, match="outside"):
        index.query(0, 1, subset=np.array([0, 5]))


@pytest.mark.parametrize("metric", METRICS)
def test_duplicates_tie_exactly_wherever_they_sit(metric):
    # Nearly parallel vectors with many duplicated rows: equal rows must get bit-identical distances.
    rng = np.random.default_rng(12)  # a seed where a position-dependent float64 product breaks a tie
    vectors = (rng.normal(size=(2000, 100)) * 0.05 + rng.normal(size=100) * 30).astype(np.float32)
    vectors[rng.integers(0, 2000, 300)] = vectors[rng.integers(0, 2000, 300)]
    index = NeighborIndex(vectors)
    for point in rng.integers(0, 2000, 12):
        found, _ = index.query(int(point), 40, metric)
        assert found.tolist() == _brute(vectors, int(point), 40, metric)[0].tolist()


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("n", [7, 3000])  # whole-row partition, or the bound from minima of column groups
def test_query_all_equals_one_query_per_point(metric, n, monkeypatch):
    monkeypatch.setattr(neighbors_module, "_BLOCK", n * 37)  # several blocks, the last one short
    rng = np.random.default_rng(13)
    vectors = (rng.normal(size=(n, 12)) + rng.normal(size=12) * 3).astype(np.float32)
    vectors[rng.integers(0, n, n // 10)] = vectors[rng.integers(0, n, n // 10)]  # exact ties
    vectors[n // 2] = 0.0
    index = NeighborIndex(vectors)
    found, distances = index.query_all(10, metric)
    k = min(10, n - 1)
    assert found.shape == distances.shape == (n, k)
    assert found.dtype == np.int64 and distances.dtype == np.float32
    for point in range(0, n, max(1, n // 200)):
        expected, expected_distances = index.query(point, 10, metric)
        assert found[point].tolist() == expected.tolist()
        assert distances[point].tolist() == expected_distances.tolist()
        assert found[point].tolist() == _brute(vectors, point, k, metric)[0].tolist()
    rows = np.array([5, 0, 5])
    some, _ = index.query_all(3, metric, rows=rows)
    assert some.tolist() == [found[5, :3].tolist(), found[0, :3].tolist(), found[5, :3].tolist()]


def test_query_all_refuses_bad_input():
    index = NeighborIndex(np.eye(3))
    with pytest.raises(InputError, match="outside"):
        index.query_all(1, rows=np.array([3]))
    with pytest.raises(InputError, match="at least 1"):
        index.query_all(0)
    with pytest.raises(InputError, match="finite"):
        NeighborIndex(np.array([[np.nan, 1.0], [0.0, 1.0]])).query_all(1)
    assert NeighborIndex(np.ones((1, 4))).query_all(5)[0].shape == (1, 0)


@pytest.mark.parametrize("metric", METRICS)
def test_query_all_ranks_near_duplicates_exactly(metric):
    rng = np.random.default_rng(5)
    base = rng.normal(size=64).astype(np.float32) * 100
    vectors = base + rng.normal(size=(300, 64)).astype(np.float32) * 1e-3  # differences near float32 rounding
    vectors[rng.integers(0, 300, 40)] = vectors[rng.integers(0, 300, 40)]
    found, _ = NeighborIndex(vectors).query_all(20, metric)
    for point in range(0, 300, 7):
        assert found[point].tolist() == _brute(vectors, point, 20, metric)[0].tolist()
