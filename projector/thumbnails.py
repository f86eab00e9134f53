"""Images as points: one transparent picture of the thumbnails of the points in view, each centred on its
point, for the plot to lay over its 2D axes (a Plotly layout image that follows zoom and pan)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from projector.errors import InputError
from projector.sprites import SpriteSheet

MAX_IMAGES = 5_000  # points in view drawn as images at most: more would cover one another unreadably
MAX_SIDE = 4096  # px of the layer picture
SIZES = (16, 24, 32, 48, 64)  # px of a thumbnail's longer side on screen


def layer_png(
    sprite: SpriteSheet,
    rows: Sequence[int] | np.ndarray,
    pixels: Sequence[Sequence[float]] | np.ndarray,
    width: int,
    height: int,
    size: int = 24,
) -> bytes:
    """A ``width`` × ``height`` px transparent PNG with the thumbnail of each of ``rows`` (dataset rows)
    centred on its pixel (x right, y down from the top left), ``size`` px on its longer side."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
    if len(rows) != len(pixels):
        raise InputError("The image layer needs one pixel position per point.")
    if len(rows) > MAX_IMAGES:
        raise InputError(f"{len(rows):,} points in view: images are drawn for {MAX_IMAGES:,} at most; zoom in.")
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise InputError(f"The image layer is at most {MAX_SIDE} px on a side; got {width} × {height}.")
    if size not in SIZES:
        raise InputError(f"Thumbnail size must be one of {', '.join(map(str, SIZES))} px; got {size!r}.")
    if len(rows) and (rows.min() < 0 or rows.max() >= sprite.n):
        raise InputError("Some points of the image layer are not in this tensor; redraw the plot.")
    cw, ch = sprite.scaled_cell(size)
    layer = Image.new("RGBA", (int(width), int(height)), (0, 0, 0, 0))
    for row, (x, y) in zip(rows.tolist(), pixels.tolist()):
        thumb = sprite.scaled_thumbnail(row, size)
        layer.paste(thumb, (int(round(x - cw / 2)), int(round(y - ch / 2))), thumb)
    buffer = io.BytesIO()
    layer.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
