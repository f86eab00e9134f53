"""The density layer drawn under a 2D plot's points: its bounds, its shading and its errors."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from projector.density import MAX_PIXELS, DensityImage, density_image, sigma_pixels
from projector.errors import InputError

PREFIX = "data:image/png;base64,"


def decoded(image: DensityImage) -> np.ndarray:
    """The PNG of ``image`` as an (rows, columns, 4) uint8 array."""
    assert image.source.startswith(PREFIX)
    png = Image.open(io.BytesIO(base64.b64decode(image.source[len(PREFIX) :])))
    assert png.format == "PNG" and png.mode == "RGBA"
    return np.asarray(png)


def pixel(image: DensityImage, shape: tuple[int, ...], x: float, y: float) -> tuple[int, int]:
    """The (row, column) of the data point (x, y) in the image; row 0 is the top."""
    rows, columns = shape[:2]
    column = int((x - image.x0) / image.width * columns)
    row = int((image.y1 - y) / image.height * rows)
    return row, column


def blobs(seed: int = 0, n: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal((-20, 5), 1, size=(n, 2)), rng.normal((20, 5), 1, size=(n, 2))])


def contains(image: DensityImage, xy: np.ndarray) -> bool:
    x, y = xy[:, 0], xy[:, 1]
    inside_x = (image.x0 <= x) & (x <= image.x0 + image.width)
    inside_y = (image.y1 - image.height <= y) & (y <= image.y1)
    return bool((inside_x & inside_y).all())


def test_layout_image_lies_below_the_points_over_bounds_that_hold_them():
    xy = np.random.default_rng(0).normal(3, 2, size=(500, 2))
    image = density_image(xy)
    entry = image.layout_image()
    assert entry == {
        "source": image.source,
        "xref": "x",
        "yref": "y",
        "x": image.x0,
        "y": image.y1,
        "sizex": image.width,
        "sizey": image.height,
        "sizing": "stretch",
        "xanchor": "left",
        "yanchor": "top",
        "layer": "below",
        "opacity": 1,
        "name": "density",
    }
    assert image.width > 0 and image.height > 0
    assert contains(image, xy)
    assert max(decoded(image).shape[:2]) == 256


def test_two_blobs_far_apart_are_two_bright_regions_with_a_clear_gap():
    xy = blobs()
    image = density_image(xy)
    rgba = decoded(image)
    alpha = rgba[..., 3].astype(int)
    left, middle, right = (pixel(image, rgba.shape, x, 5) for x in (-20, 0, 20))
    peak = alpha.max()
    assert 0.7 * 255 <= peak <= 0.76 * 255  # the densest pixel is bright but never opaque
    assert alpha[left] >= 0.8 * peak and alpha[right] >= 0.8 * peak
    assert alpha[middle] <= 0.02 * peak
    assert alpha[:, middle[1]].max() == 0  # far from every point: fully transparent, top to bottom


def test_the_image_is_not_flipped():
    # One blob at the top left only: its pixels are in the top-left quarter of the image.
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal((0, 10), 0.5, size=(300, 2)), [[10, 0]]])
    image = density_image(xy)
    alpha = decoded(image)[..., 3]
    row, column = np.unravel_index(np.argmax(alpha), alpha.shape)
    assert row < alpha.shape[0] / 4 and column < alpha.shape[1] / 4
    assert alpha[pixel(image, alpha.shape, 0, 10)] >= 0.9 * alpha.max()
    assert alpha[pixel(image, alpha.shape, 0, 0)] == 0  # the mirror image of the blob is empty


def test_dark_variant_differs_in_colour_only():
    xy = blobs(seed=2)
    light, dark = density_image(xy), density_image(xy, dark=True)
    assert (light.x0, light.y1, light.width, light.height) == (dark.x0, dark.y1, dark.width, dark.height)
    light_rgba, dark_rgba = decoded(light), decoded(dark)
    np.testing.assert_array_equal(light_rgba[..., 3], dark_rgba[..., 3])
    shown = light_rgba[..., 3] > 0
    assert (dark_rgba[shown, :3].astype(int).sum(axis=1) > light_rgba[shown, :3].astype(int).sum(axis=1)).all()


def test_same_input_same_image():
    xy = blobs(seed=3)
    assert density_image(xy, pixels=128) == density_image(xy.copy(), pixels=128)


def test_rows_with_nan_or_inf_are_ignored():
    xy = blobs(seed=4, n=300)
    noisy = np.vstack([xy[:100], [[np.nan, 0.0], [np.inf, 1.0], [2.0, -np.inf]], xy[100:]])
    assert density_image(noisy) == density_image(xy)


def test_aspect_ratio_is_kept():
    xy = np.random.default_rng(5).uniform((0, 0), (40, 10), size=(2000, 2))
    image = density_image(xy, pixels=256)
    rows, columns = decoded(image).shape[:2]
    assert columns == 256
    assert columns / rows == pytest.approx(4, rel=0.05)
    assert image.width / image.height == pytest.approx(columns / rows)  # square pixels in data units
    tall = density_image(xy[:, ::-1], pixels=256)
    assert decoded(tall).shape[:2] == (columns, rows)


@pytest.mark.parametrize(
    "xy",
    [
        np.zeros((50, 2)) + 7.0,  # all points at one place
        np.column_stack([np.linspace(0, 100, 50), np.full(50, 3.0)]),  # a horizontal line
    ],
)
def test_a_zero_span_still_holds_every_point(xy):
    image = density_image(xy)
    rows, columns = decoded(image).shape[:2]
    assert image.width > 0 and image.height > 0
    assert min(rows, columns) >= 16
    assert contains(image, xy)


def test_sigma_is_wider_for_few_points_and_stays_in_range():
    widths = [sigma_pixels(n, 256) for n in (2, 100, 1000, 100_000, 1_000_000, 10**9)]
    assert widths == sorted(widths, reverse=True)
    assert all(1 <= w <= 256 / 20 for w in widths)


@pytest.mark.parametrize(
    "xy",
    [
        np.array([[1.0, 2.0]]),  # one point
        np.array([[1.0, 2.0], [np.nan, 3.0], [np.inf, 0.0]]),  # one finite point
        np.empty((0, 2)),
        np.zeros((10, 3)),  # 3D
        np.zeros(10),
        np.zeros((4, 2, 2)),
        [["a", "b"], ["c", "d"]],
    ],
)
def test_too_few_points_or_a_wrong_shape_is_an_input_error(xy):
    with pytest.raises(InputError, match="2D"):
        density_image(xy)


@pytest.mark.parametrize("pixels", [15, 0, -256, MAX_PIXELS + 1, 2.5, True, "256"])
def test_pixels_out_of_range_is_an_input_error(pixels):
    with pytest.raises(InputError, match=f"16 to {MAX_PIXELS}"):
        density_image(blobs(n=50), pixels=pixels)


@pytest.mark.parametrize("pixels", [16, MAX_PIXELS])
def test_pixels_at_the_limits(pixels):
    assert max(decoded(density_image(blobs(n=50), pixels=pixels)).shape[:2]) == pixels
