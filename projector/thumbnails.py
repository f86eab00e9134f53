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
FAINT = 64  # opacity (of 255) of the images of points a highlight leaves out, as their markers are dimmed
_FAINT_ALPHA = [a * FAINT // 255 for a in range(256)]  # alpha → faint alpha, built once for every thumbnail


def layer_png(
    sprite: SpriteSheet,
    rows: Sequence[int] | np.ndarray,
    pixels: Sequence[Sequence[float]] | np.ndarray,
    width: int,
    height: int,
    size: int = 24,
    lit: Sequence[bool] | np.ndarray | None = None,
) -> bytes:
    """A ``width`` × ``height`` px transparent PNG with the thumbnail of each of ``rows`` (dataset rows)
    centred on its pixel (x right, y down from the top left), ``size`` px on its longer side. With ``lit``
    (one flag per row: highlighted or not), the other rows' thumbnails are faint and drawn beneath."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
    if len(rows) != len(pixels):
        raise InputError("The image layer needs one pixel position per point.")
    bright = np.ones(len(rows), dtype=bool) if lit is None else np.asarray(lit, dtype=bool).reshape(-1)
    if len(bright) != len(rows):
        raise InputError("The image layer needs one highlight flag per point.")
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
    order = np.argsort(bright, kind="stable")  # the faint first, so the highlighted lie on top
    for row, (x, y), on in zip(rows[order].tolist(), pixels[order].tolist(), bright[order].tolist()):
        thumb = sprite.scaled_thumbnail(row, size)
        if not on:
            thumb = thumb.copy()
            thumb.putalpha(thumb.getchannel("A").point(_FAINT_ALPHA))
        _over(layer, thumb, int(round(x - cw / 2)), int(round(y - ch / 2)))
    buffer = io.BytesIO()
    layer.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _over(layer: Image.Image, thumb: Image.Image, left: int, top: int) -> None:
    """Composite ``thumb`` over ``layer`` with its top left corner at (left, top), cut at the layer's edges."""
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + thumb.width, layer.width), min(top + thumb.height, layer.height)
    if x0 < x1 and y0 < y1:
        layer.alpha_composite(thumb, dest=(x0, y0), source=(x0 - left, y0 - top, x1 - left, y1 - top))
