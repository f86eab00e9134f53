"""Images as points: one transparent picture of the thumbnails of the points in view, each centred on its
point, for the plot to lay over its 2D axes (a Plotly layout image that follows zoom and pan).

:func:`parse_request` reads the page's request for one (``assets/images.js``) and refuses anything the page
would not send, so that no client can make the server allocate more than one bounded canvas per request.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from projector.errors import InputError
from projector.sprites import SpriteSheet

MAX_IMAGES = 5_000  # points in view drawn as images at most: more would cover one another unreadably
MAX_SIDE = 4096  # px of the layer picture
MAX_AREA = 4096 * 2304  # px: the axes of a whole 4K screen fit; 38 MB of RGBA at most
MAX_REQUEST_BYTES = 1 << 20  # the page's largest request (5,000 points) is about 200 kB of JSON
MAX_TENSOR_KEY = 4096  # characters of a tensor key ("<run>::<name>")
MAX_ROW = 2**53  # rows are JavaScript numbers
PIXEL_SLACK = 1.0  # px a point may lie outside the layer: the page rounds the axes' size, not the points
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
    if width * height > MAX_AREA:
        raise InputError(f"The image layer is at most {MAX_AREA:,} px in all; got {width} × {height}.")
    if size not in SIZES:
        raise InputError(f"Thumbnail size must be one of {', '.join(map(str, SIZES))} px; got {size!r}.")
    if len(rows) > sprite.n or (len(rows) and (rows.min() < 0 or rows.max() >= sprite.n)):
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


@dataclass(frozen=True)
class LayerRequest:
    """What the page asks to be drawn: the arguments of :func:`layer_png` for the sprite of ``tensor``."""

    tensor: str
    rows: np.ndarray  # int64
    pixels: np.ndarray  # float64, rows × 2
    width: int
    height: int
    size: int = 24
    lit: np.ndarray | None = None  # bool, one per row


_REQUIRED = ("tensor", "rows", "pixels", "width", "height")
_FIELDS = (*_REQUIRED, "size", "lit")


def parse_request(raw: bytes) -> LayerRequest:
    """The image layer request in ``raw`` (JSON, as ``assets/images.js`` sends it); InputError for anything
    else: another type, a number that is not finite, a list longer than the page sends, a point off the layer.

    The tensor's own bounds (rows within it) are checked by :func:`layer_png`.
    """
    if len(raw) > MAX_REQUEST_BYTES:
        raise InputError(f"The image layer request is larger than {MAX_REQUEST_BYTES:,} bytes.")
    try:  # NaN, Infinity and numbers overflowing to infinity are not JSON numbers the page sends
        body = json.loads(raw, parse_constant=_not_finite, parse_float=_finite_float)
    except (ValueError, RecursionError):  # also bad UTF-8 and integers of thousands of digits
        raise InputError("The image layer request is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InputError("The image layer request must be a JSON object.")
    missing = [name for name in _REQUIRED if name not in body]
    if missing:
        raise InputError(f"The image layer request lacks {', '.join(missing)}.")
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise InputError(f"The image layer request has unknown fields: {_shown(', '.join(unknown))}.")
    tensor = body["tensor"]
    if not isinstance(tensor, str) or not 0 < len(tensor) <= MAX_TENSOR_KEY:
        raise InputError(f"tensor must be a tensor key of at most {MAX_TENSOR_KEY:,} characters.")
    width = _whole(body["width"], "width", 1, MAX_SIDE)
    height = _whole(body["height"], "height", 1, MAX_SIDE)
    size = _whole(body.get("size", 24), "size", min(SIZES), max(SIZES))
    if size not in SIZES:
        raise InputError(f"Thumbnail size must be one of {', '.join(map(str, SIZES))} px; got {size!r}.")
    rows = body["rows"]
    if not isinstance(rows, list):
        raise InputError("rows must be a list of point numbers.")
    if len(rows) > MAX_IMAGES:
        raise InputError(f"{len(rows):,} points in view: images are drawn for {MAX_IMAGES:,} at most; zoom in.")
    for row in rows:
        _whole(row, "Each of rows", 0, MAX_ROW)
    pixels = _pixels(body["pixels"], len(rows), width, height)
    lit = body.get("lit")
    if lit is not None and (
        not isinstance(lit, list) or len(lit) != len(rows) or not all(isinstance(on, bool) for on in lit)
    ):
        raise InputError("lit must be null or a list of one true or false per point.")
    return LayerRequest(
        tensor=tensor,
        rows=np.array(rows, dtype=np.int64),
        pixels=pixels,
        width=width,
        height=height,
        size=size,
        lit=None if lit is None else np.array(lit, dtype=bool),
    )


def _pixels(value: Any, count: int, width: int, height: int) -> np.ndarray:
    """``value`` as ``count`` × 2 floats, each an [x, y] on the layer (PIXEL_SLACK px out at most)."""
    if not isinstance(value, list) or len(value) != count:
        raise InputError("pixels must be a list of one [x, y] per point.")
    for pixel in value:
        if not (
            isinstance(pixel, list)
            and len(pixel) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pixel)
            and -PIXEL_SLACK <= pixel[0] <= width + PIXEL_SLACK
            and -PIXEL_SLACK <= pixel[1] <= height + PIXEL_SLACK
        ):
            raise InputError(
                f"Each of pixels must be an [x, y] on the {width} × {height} px layer; got {_shown(pixel)}."
            )
    return np.array(value, dtype=np.float64).reshape(count, 2)


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:  # not a bool, nor a float such as 24.5
        raise InputError(f"{name} must be a whole number from {low:,} to {high:,}; got {_shown(value)}.")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _not_finite(text: str) -> float:
    raise ValueError(f"{text} is not a number")


def _shown(value: Any, limit: int = 40) -> str:
    """``value`` for a message, cut short: it comes from the client."""
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "…"
