from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

import projector.pca as pca_module
from projector.errors import InputError
from projector.pca import PCAResult, pca, spherize


def _data(n: int, d: int, seed: int = 0) -> np.ndarray:
    """Distinct variances per direction (no degenerate components), rotated, off-centre."""
    rng = np.random.default_rng(seed)
    scales = np.linspace(4.0, 0.2, d)
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (rng.standard_normal((n, d)) * scales) @ rotation + 3.0


def _assert_matches_sklearn(result: PCAResult, vectors: np.ndarray, atol: float) -> None:
    reference = PCA(n_components=result.coords.shape[1], svd_solver="full").fit(vectors)
    expected = reference.transform(vectors)
    np.testing.assert_allclose(result.explained_variance_ratio, reference.explained_variance_ratio_, atol=1e-9)
    signs = np.sign(np.sum(result.coords * expected, axis=0))
    np.testing.assert_allclose(result.coords, expected * signs, atol=atol)


@pytest.mark.parametrize("shape", [(400, 30), (25, 200), (6, 4), (3, 50)])
def test_matches_full_svd(shape):
    vectors = np.random.default_rng(1).normal(size=shape) * np.linspace(3.0, 0.5, shape[1]) + 1.0
    result = pca(vectors)
    k = min(10, *shape)
    assert result.coords.shape == (shape[0], k)
    assert result.coords.dtype == np.float32
    assert result.explained_variance_ratio.shape == (k,)
    _assert_matches_sklearn(result, vectors, atol=1e-4)


def test_float32_large_path_matches_float64_reference(monkeypatch):
    monkeypatch.setattr(pca_module, "SMALL_INPUT", 0)  # force the float32 Gram used for big tensors
    vectors = _data(3000, 64, seed=2).astype(np.float32)
    result = pca(vectors)
    reference = PCA(n_components=10, svd_solver="full").fit(vectors.astype(np.float64))
    np.testing.assert_allclose(result.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-4)
    expected = reference.transform(vectors.astype(np.float64))
    signs = np.sign(np.sum(result.coords * expected, axis=0))
    np.testing.assert_allclose(result.coords, expected * signs, atol=1e-3 * np.abs(expected).max())


def test_randomized_fallback_agrees(monkeypatch):
    monkeypatch.setattr(pca_module, "MAX_GRAM_SIZE", 10)
    vectors = _data(300, 40, seed=3)
    result = pca(vectors, random_state=5)
    reference = PCA(n_components=10, svd_solver="full").fit(vectors)
    # approximate
    np.testing.assert_allclose(result.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-3)
    assert np.array_equal(result.coords, pca(vectors, random_state=5).coords)


def test_signs_are_fixed_and_deterministic():
    vectors = _data(500, 20, seed=4)
    first, second = pca(vectors), pca(vectors.copy())
    assert np.array_equal(first.coords, second.coords)
    # the largest-|loading| entry of each component is positive, as in sklearn's svd_flip: equal without sign fixes
    reference = PCA(n_components=10, svd_solver="full").fit(vectors)
    np.testing.assert_allclose(first.coords, reference.transform(vectors), atol=1e-4)


def test_n_components_and_total_variance():
    vectors = _data(200, 12, seed=5)
    result = pca(vectors, n_components=3)
    assert result.coords.shape == (200, 3)
    assert 0 < result.total_variance_ratio < 1
    assert pca(vectors, n_components=12).total_variance_ratio == pytest.approx(1.0)
    assert np.all(np.diff(result.explained_variance_ratio) <= 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identical_vectors_give_zeros(dtype):
    vectors = np.tile(np.array([0.1, -3.7, 12.25, 1e-3], dtype=dtype), (50, 1))
    result = pca(vectors)
    assert result.coords.shape == (50, 4)
    assert not np.isnan(result.coords).any() and not np.isnan(result.explained_variance_ratio).any()
    assert np.all(result.coords == 0) and np.all(result.explained_variance_ratio == 0)
    assert result.total_variance_ratio == 0.0


def test_single_point_and_bad_input():
    result = pca(np.ones((1, 5)))
    assert result.coords.shape == (1, 1) and result.coords[0, 0] == 0
    with pytest.raises(InputError, match="N×D"):
        pca(np.ones(5))
    with pytest.raises(InputError, match="n_components"):
        pca(np.ones((4, 4)), n_components=0)
    with pytest.raises(InputError, match="finite"):
        pca(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_spherize_centres_and_normalises():
    rng = np.random.default_rng(6)
    offsets = rng.integers(1, 6, size=(15, 5)) * rng.choice([-1, 1], size=(15, 5))
    vectors = np.vstack([4 + offsets, 4 - offsets, np.full((1, 5), 4)]).astype(np.float32)  # mean exactly 4
    out = spherize(vectors)
    assert out.dtype == np.float32
    assert np.all(out[-1] == 0)  # the row equal to the mean stays zero
    norms = np.linalg.norm(out[:-1], axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)
    centred = vectors[:-1] - 4.0
    cosine = np.sum(out[:-1] * centred, axis=1) / np.linalg.norm(centred, axis=1)
    np.testing.assert_allclose(cosine, 1.0, rtol=1e-6)
    assert np.all(spherize(np.zeros((3, 2))) == 0)


@pytest.mark.parametrize("shape", [(400, 30), (25, 200)])
@pytest.mark.parametrize("randomized", [False, True])
def test_components_give_the_coordinates(shape, randomized, monkeypatch):
    if randomized:
        monkeypatch.setattr(pca_module, "MAX_GRAM_SIZE", 10)
    vectors = _data(*shape, seed=7)
    result = pca(vectors, n_components=5)
    assert result.components is not None and result.components.shape == (5, shape[1])
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(5), atol=1e-6)
    projected = (vectors - vectors.mean(axis=0)) @ result.components.T
    np.testing.assert_allclose(result.coords, projected, atol=1e-4 * np.abs(projected).max())
