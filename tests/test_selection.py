from __future__ import annotations

import time

import numpy as np
import pytest

from projector import selection
from projector.errors import InputError
from projector.selection import MAX_LASSO_VERTICES, default_radius, in_box, in_lasso, within_radius

GRID = np.array([[x, y] for y in range(5) for x in range(5)], dtype=float)  # row = 5*y + x


def test_within_radius_is_inclusive_and_contains_the_centre():
    found = within_radius(GRID, 12, 1.0)  # (2, 2)
    assert found.dtype == np.int64
    assert found.tolist() == [7, 11, 12, 13, 17]
    assert within_radius(GRID, 12, 0.0).tolist() == [12]
    assert within_radius(GRID, 0, 1.5).tolist() == [0, 1, 5, 6]


def test_within_radius_uses_all_dimensions():
    points = np.array([[0, 0, 0], [0, 0, 2], [1, 0, 0], [0, 0, 0.5]], dtype=float)
    assert within_radius(points, 0, 1.0).tolist() == [0, 2, 3]


def test_within_radius_rejects_bad_input():
    with pytest.raises(InputError, match="does not exist"):
        within_radius(GRID, 25, 1.0)
    with pytest.raises(InputError, match="radius"):
        within_radius(GRID, 0, -1.0)


def test_box_is_inclusive_and_order_free():
    assert in_box(GRID, (1, 2), (3, 4)).tolist() == [16, 17, 21, 22]
    assert in_box(GRID, (2, 1), (4, 3)).tolist() == [16, 17, 21, 22]
    assert in_box(GRID, (0.5, 0.6), (0, 4)).size == 0
    points3d = np.column_stack([GRID, np.arange(25.0)])
    assert in_box(points3d, (1, 2), (3, 4)).tolist() == [16, 17, 21, 22]


def test_lasso_square():
    square_x, square_y = [0.5, 2.5, 2.5, 0.5], [0.5, 0.5, 2.5, 2.5]
    assert in_lasso(GRID, square_x, square_y).tolist() == [6, 7, 11, 12]


def test_concave_lasso_excludes_the_notch():
    # A "U": x in [0.5, 3.5], y in [0.5, 3.5], minus the notch x in (1.5, 2.5), y > 1.5.
    xs = [0.5, 3.5, 3.5, 2.5, 2.5, 1.5, 1.5, 0.5]
    ys = [0.5, 0.5, 3.5, 3.5, 1.5, 1.5, 3.5, 3.5]
    found = in_lasso(GRID, xs, ys).tolist()
    assert found == [6, 7, 8, 11, 13, 16, 18]
    assert 12 not in found and 17 not in found  # (2, 2) and (2, 3) sit in the notch


def test_self_intersecting_lasso_uses_even_odd():
    # A pentagram drawn in one stroke: its tips are inside, the central pentagon (wound twice) is outside.
    angles = np.pi / 2 + np.arange(5) * 4 * np.pi / 5
    xs, ys = np.cos(angles), np.sin(angles)
    points = np.array([[0.0, 0.0], [0.0, 0.8], [0.0, -0.1], [0.0, -0.9]])
    assert in_lasso(points, xs, ys).tolist() == [1]


def test_degenerate_lasso_selects_nothing():
    assert in_lasso(GRID, [0, 4], [0, 4]).size == 0
    assert in_lasso(GRID, [], []).size == 0
    with pytest.raises(InputError, match="x values"):
        in_lasso(GRID, [0, 1, 2], [0, 1])


def test_lasso_matches_a_reference_on_random_points():
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, size=(5000, 2))
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    radii = np.where(np.arange(40) % 2 == 0, 0.9, 0.4)  # a star: concave everywhere
    xs, ys = radii * np.cos(angles), radii * np.sin(angles)
    found = in_lasso(points, xs, ys)
    # reference: a point is in the star if its radius is under the star's boundary at its angle
    theta = np.mod(np.arctan2(points[:, 1], points[:, 0]), 2 * np.pi)
    step = 2 * np.pi / 40
    segment = (theta // step).astype(int)
    a0, a1 = segment * step, (segment + 1) * step
    r0, r1 = radii[segment], radii[(segment + 1) % 40]
    # boundary radius along direction theta on the chord between the two vertices
    p0 = np.column_stack([r0 * np.cos(a0), r0 * np.sin(a0)])
    p1 = np.column_stack([r1 * np.cos(a1), r1 * np.sin(a1)])
    direction = np.column_stack([np.cos(theta), np.sin(theta)])
    edge = p1 - p0
    boundary = (p0[:, 0] * edge[:, 1] - p0[:, 1] * edge[:, 0]) / (
        direction[:, 0] * edge[:, 1] - direction[:, 1] * edge[:, 0]
    )
    expected = np.flatnonzero(np.hypot(points[:, 0], points[:, 1]) < boundary)
    assert found.tolist() == expected.tolist()


def reference_lasso(points: np.ndarray, xs, ys) -> np.ndarray:
    """The textbook even-odd test, one pass over every point per edge."""
    vx, vy = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    px, py = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for x_a, y_a, x_b, y_b in zip(vx, vy, np.roll(vx, 1), np.roll(vy, 1)):
        if y_a != y_b:
            with np.errstate(invalid="ignore"):
                inside ^= ((y_a > py) != (y_b > py)) & (px < x_a + (py - y_a) * (x_b - x_a) / (y_b - y_a))
    return np.flatnonzero(inside)


def random_polygons(rng, count: int):
    """Concave stars of random radii and self-intersecting scribbles; some on the points' grid, for exact ties."""
    for k in rng.integers(3, 300, size=count):
        angles = np.sort(rng.uniform(0, 2 * np.pi, k))
        radii = rng.uniform(0.05, 1.2, k)
        yield radii * np.cos(angles), radii * np.sin(angles)
        yield rng.uniform(-1.2, 1.2, k), rng.uniform(-1.2, 1.2, k)
        yield rng.integers(-5, 6, k) / 5, rng.integers(-5, 6, k) / 5  # vertices and edges through grid points


def test_lasso_equals_the_textbook_test_on_random_concave_polygons():
    rng = np.random.default_rng(1)
    grid = np.array([[x, y] for y in range(-5, 6) for x in range(-5, 6)], dtype=float) / 5
    points = np.vstack([rng.uniform(-1.3, 1.3, size=(3000, 2)), grid, [[np.nan, 0.0], [0.0, np.inf]]])
    for xs, ys in random_polygons(rng, 40):
        assert in_lasso(points, xs, ys).tolist() == reference_lasso(points, xs, ys).tolist()


def test_lasso_in_many_small_batches_gives_the_same_rows(monkeypatch):
    rng = np.random.default_rng(2)
    points = rng.uniform(-1, 1, size=(2000, 2))
    monkeypatch.setattr(selection, "MIN_BATCH_PAIRS", 7)  # batches of a few edges, and edges longer than one
    monkeypatch.setattr(selection, "MAX_BATCH_PAIRS", 7)
    for xs, ys in random_polygons(rng, 10):
        assert in_lasso(points, xs, ys).tolist() == reference_lasso(points, xs, ys).tolist()


def test_a_lasso_of_too_many_vertices_is_refused():
    angles = np.linspace(0, 2 * np.pi, MAX_LASSO_VERTICES, endpoint=False)
    assert in_lasso(GRID, 3 * np.cos(angles) + 2, 3 * np.sin(angles) + 2).size == 25  # the limit itself is fine
    xs, ys = [0.5, 2.5, 2.5] * 3334, [0.5, 0.5, 2.5] * 3334
    with pytest.raises(InputError, match="The lasso has 10,002 vertices; at most 10,000 are allowed"):
        in_lasso(GRID, xs, ys)


def test_a_lasso_crossing_every_row_too_often_is_refused_at_once():
    points = np.random.default_rng(3).uniform(-1, 1, size=(100_000, 2))
    comb_x = np.linspace(-1, 1, MAX_LASSO_VERTICES)  # 10,000 teeth, each from bottom to top over every point
    comb_y = np.where(np.arange(MAX_LASSO_VERTICES) % 2 == 0, -1.0, 1.0)
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"too often to test \(1,000,000,000 crossings, at most 20,000,000\)"):
        in_lasso(points, comb_x, comb_y)
    assert time.perf_counter() - started < 1.0


def test_a_long_lasso_over_many_points_is_fast():
    points = np.random.default_rng(4).normal(size=(100_000, 2))
    angles = np.linspace(0, 2 * np.pi, MAX_LASSO_VERTICES, endpoint=False)
    radii = 2 + 0.5 * np.sin(37 * angles)  # concave: 37 lobes
    started = time.perf_counter()
    found = in_lasso(points, radii * np.cos(angles), radii * np.sin(angles))
    assert time.perf_counter() - started < 2.0  # a Python loop over the vertices takes about ten times longer
    assert 80_000 < found.size < 90_000


def test_default_radius():
    assert default_radius(GRID) == pytest.approx(0.05 * np.hypot(4, 4))
    assert default_radius(np.ones((3, 2))) == 1.0
    assert default_radius(np.array([[0.0, 0.0], [np.nan, 5.0], [3.0, 4.0]])) == pytest.approx(0.25)
