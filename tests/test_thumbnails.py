"""The image layer: the thumbnails of the points in view, centred on their pixels, on a transparent picture."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from projector.errors import InputError
from projector.sprites import SpriteSheet
from projector.thumbnails import FAINT, MAX_IMAGES, layer_png


def sheet(n: int = 4, cell: int = 8) -> SpriteSheet:
    """A sprite of ``n`` flat-coloured thumbnails: point i is (40 i, 255 − 40 i, 128)."""
    columns = 2
    rows = (n + columns - 1) // columns
    image = Image.new("RGB", (columns * cell, rows * cell))
    for i in range(n):
        r, c = divmod(i, columns)
        image.paste((40 * i, 255 - 40 * i, 128), (c * cell, r * cell, c * cell + cell, r * cell + cell))
    return SpriteSheet(image, (cell, cell), n)


def decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_each_thumbnail_is_centred_on_its_pixel_and_the_rest_is_transparent():
    pixels = decoded(layer_png(sheet(), [1, 3], [[20, 30], [70.4, 4]], 100, 50, size=16))
    assert pixels.shape == (50, 100, 4)
    assert tuple(pixels[30, 20]) == (40, 215, 128, 255)
    assert tuple(pixels[30 - 7, 20 - 7]) == (40, 215, 128, 255) and pixels[30 - 9, 20, 3] == 0  # 16 px wide
    assert tuple(pixels[4, 70]) == (120, 135, 128, 255)
    assert pixels[45, 95, 3] == 0  # transparent where no point is
    assert tuple(pixels[0, 70]) == (120, 135, 128, 255)  # a thumbnail at the edge is cut, not dropped


def test_a_highlight_leaves_the_other_images_faint_and_beneath():
    # Two overlapping thumbnails: the highlighted one (row 3) is drawn whole and on top, the other faint.
    pixels = decoded(layer_png(sheet(), [1, 3], [[20, 20], [26, 20]], 60, 40, size=16, lit=[False, True]))
    assert tuple(pixels[20, 26]) == (120, 135, 128, 255)  # row 3 over the overlap
    assert pixels[20, 14, 3] == FAINT and tuple(pixels[20, 14, :3]) == (40, 215, 128)  # row 1 alone: faint
    assert decoded(layer_png(sheet(), [1], [[20, 20]], 60, 40, size=16, lit=[True]))[20, 20, 3] == 255
    with pytest.raises(InputError, match="one highlight flag per point"):
        layer_png(sheet(), [1, 3], [[20, 20], [26, 20]], 60, 40, size=16, lit=[True])


def test_rows_follow_the_sprite_cells_of_a_subset():
    subset = sheet().take(np.array([3, 0]))  # point 0 of the subset is cell 3
    pixels = decoded(layer_png(subset, [0], [[8, 8]], 16, 16, size=16))
    assert tuple(pixels[8, 8]) == (120, 135, 128, 255)


@pytest.mark.parametrize(
    ("rows", "pixels", "width", "size", "message"),
    [
        ([0, 1], [[1, 1]], 10, 24, "one pixel position per point"),
        ([4], [[1, 1]], 10, 24, "not in this tensor"),
        ([0], [[1, 1]], 0, 24, "at most 4096 px"),
        ([0], [[1, 1]], 4096, 24, "at most 9,437,184 px in all"),  # 4096 × 4096: a canvas of 64 MB
        ([0] * 5, [[1, 1]] * 5, 10, 24, "not in this tensor"),  # more points than the tensor has
        ([0], [[1, 1]], 10, 25, "Thumbnail size"),
        ([0] * (MAX_IMAGES + 1), [[1, 1]] * (MAX_IMAGES + 1), 10, 24, "zoom in"),
    ],
)
def test_bad_requests_get_a_clear_message(rows, pixels, width, size, message):
    with pytest.raises(InputError, match=message):
        layer_png(sheet(), rows, pixels, width, width if width == 4096 else 10, size=size)
