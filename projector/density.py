"""A shaded density of a 2D plot's points, drawn under them so structure shows where many points overlap.

The points are counted on a pixel grid over their padded bounds, smoothed by a Gaussian whose width follows
the point count, and rendered in one hue whose opacity follows the density: an RGBA PNG laid into the Plotly
figure in data coordinates (``layout.images``), below the traces.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage  # type: ignore[import-untyped]

from projector.errors import InputError

MIN_PIXELS = 16
MAX_PIXELS = 1024
PADDING = 0.05  # of the span, on each side, so the smoothed edge of the cloud is not cut off
MAX_ALPHA = 0.75  # the densest pixel still lets the grid and axes show through
LIGHT_COLOR = (0x1F, 0x5F, 0xBF)
DARK_COLOR = (0x8F, 0xB8, 0xFF)
SIGMA_AT = 1000  # the point count at which sigma is pixels / SIGMA_DIVISOR
SIGMA_DIVISOR = 40
SIGMA_POWER = 1 / 6  # sigma shrinks by sqrt(10) for every thousandfold more points
MIN_SIGMA = 1.0  # pixels: narrower would show single pixels, not a density
MAX_SIGMA_FRACTION = 1 / 20  # of the longer side: wider would blur a few points into one blob


@dataclass(frozen=True)
class DensityImage:
    """A shaded density of 2D points as a PNG laid into a Plotly figure in data coordinates."""

    source: str  # "data:image/png;base64,..."
    x0: float  # left edge (data units)
    y1: float  # top edge (data units)
    width: float  # data units
    height: float  # data units

    def layout_image(self) -> dict[str, object]:
        """The Plotly ``layout.images`` entry that stretches the PNG over its bounds, below the traces."""
        return {
            "source": self.source,
            "xref": "x",
            "yref": "y",
            "x": self.x0,
            "y": self.y1,
            "sizex": self.width,
            "sizey": self.height,
            "sizing": "stretch",
            "xanchor": "left",
            "yanchor": "top",
            "layer": "below",
            "opacity": 1,
            "name": "density",
        }


def finite_points(xy: object) -> np.ndarray:
    """The finite rows of an (n, 2) array as float64; InputError for another shape or fewer than two rows."""
    try:
        points = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError):
        points = np.empty((0, 0))
    if points.ndim != 2 or points.shape[1] != 2:
        raise InputError("A density needs the points drawn in 2D, one row (x, y) a point.")
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 2:
        raise InputError("A density needs at least two points drawn in 2D; draw a 2D projection of more points.")
    return points


def check_pixels(pixels: object) -> int:
    """The longer side of the image in pixels, a whole number from 16 to MAX_PIXELS; InputError otherwise."""
    if isinstance(pixels, bool) or not isinstance(pixels, (int, np.integer)):
        raise InputError(f"The density size must be a whole number of pixels from {MIN_PIXELS} to {MAX_PIXELS}.")
    if not MIN_PIXELS <= pixels <= MAX_PIXELS:
        raise InputError(f"The density size must be from {MIN_PIXELS} to {MAX_PIXELS} pixels; got {pixels}.")
    return int(pixels)


def sigma_pixels(n: int, pixels: int) -> float:
    """The smoothing width in pixels: pixels / 40 · (1000 / n)^(1/6), clipped to [1, pixels / 20]."""
    sigma = pixels / SIGMA_DIVISOR * (SIGMA_AT / max(n, 1)) ** SIGMA_POWER
    return float(np.clip(sigma, MIN_SIGMA, pixels * MAX_SIGMA_FRACTION))


def grid(points: np.ndarray, pixels: int) -> tuple[float, float, float, int, int]:
    """``(x0, y0, pixel size, columns, rows)``: square pixels over the padded bounds, ``pixels`` on the longer side."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2
    span = hi - lo
    if not np.isfinite(span).all():
        raise InputError("The points are too far apart to draw a density; rescale the coordinates.")
    if not span.max() > 0:
        # All points at one place: a square small next to their magnitude, with the points in the middle.
        span = np.full(2, max(float(np.abs(centre).max()) * 1e-3, 1e-3))
    longest = float(span.max())
    size = longest * (1 + 2 * PADDING) / pixels
    # Square pixels keep the Gaussian round in data units; the shorter side is at least MIN_PIXELS.
    shape = [min(pixels, max(MIN_PIXELS, math.ceil(s * (1 + 2 * PADDING) / size - 1e-9))) for s in span]
    if span[0] >= span[1]:
        shape[0] = pixels
    else:
        shape[1] = pixels
    columns, rows = shape
    return float(centre[0] - columns * size / 2), float(centre[1] - rows * size / 2), size, columns, rows


def shaded(points: np.ndarray, x0: float, y0: float, size: float, columns: int, rows: int) -> np.ndarray:
    """The density on the grid scaled to [0, 1], as an image: row 0 at the top (largest y), column 0 at the left."""
    counts, _, _ = np.histogram2d(
        points[:, 0],
        points[:, 1],
        bins=(columns, rows),
        range=((x0, x0 + columns * size), (y0, y0 + rows * size)),
    )
    smooth = ndimage.gaussian_filter(counts, sigma_pixels(len(points), max(columns, rows)), mode="constant")
    peak = float(smooth.max())
    # A square root, so sparse strands still show next to cores many times denser.
    scaled = np.sqrt(np.clip(smooth, 0, None) / peak) if peak > 0 else np.zeros_like(smooth)
    # histogram2d's first axis is x: transpose to rows of y, then flip so the largest y is on top.
    return np.ascontiguousarray(scaled.T[::-1])


def png_data_uri(scaled: np.ndarray, color: tuple[int, int, int]) -> str:
    """A base64 PNG data URI of ``scaled`` in one colour, its opacity proportional to the value."""
    rgba = np.empty((*scaled.shape, 4), dtype=np.uint8)
    rgba[..., :3] = color
    rgba[..., 3] = np.rint(scaled * (MAX_ALPHA * 255)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def density_image(xy: np.ndarray, *, pixels: int = 256, dark: bool = False) -> DensityImage:
    """The shaded density of the points ``xy`` as drawn, an image ``pixels`` wide on its longer side.

    Parameters
    ----------
    xy
        (n, 2) coordinates as drawn; rows holding NaN or inf are ignored.
    pixels
        The longer side of the image, from 16 to MAX_PIXELS; the other side keeps the data's aspect ratio.
    dark
        A light blue for a dark background instead of a darker blue for a light one.
    """
    side = check_pixels(pixels)
    points = finite_points(xy)
    x0, y0, size, columns, rows = grid(points, side)
    source = png_data_uri(shaded(points, x0, y0, size, columns, rows), DARK_COLOR if dark else LIGHT_COLOR)
    return DensityImage(source=source, x0=x0, y1=y0 + rows * size, width=columns * size, height=rows * size)
