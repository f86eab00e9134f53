"""Arrays -> Plotly figure dicts and the small payloads that restyle them.

Numeric arrays travel as plotly.js typed-array specs (``{"dtype", "bdata"}``, base64), which
are about a third the size of JSON lists and decode without parsing.
"""

from __future__ import annotations

import base64
import colorsys
from dataclasses import dataclass
from typing import Any

import numpy as np

from projector.colors import ColorEncoding, discrete_colorscale, highlight
from projector.errors import InputError
from projector.neighbors import METRICS

_DTYPES = {
    np.dtype("float32"): "f4",
    np.dtype("float64"): "f8",
    np.dtype("uint8"): "u1",
    np.dtype("uint16"): "u2",
    np.dtype("int32"): "i4",
}

POINT_SIZE = {2: 5, 3: 3}
# scatter3d draws squares in about half the time of circles, first draw and restyle alike (bench_markers.py);
# scattergl restyles squares more slowly, so 2-D keeps circles.
SYMBOL = {2: "circle", 3: "square"}
SELECTED_SIZE = {2: 8, 3: 5}
ANCHOR_SIZE = {2: 14, 3: 9}

# A clicked point's neighbours are coloured by how near they are, as in TensorBoard: from a deep violet for the
# nearest through coral to a pale amber (its scale, hue/saturation/lightness at proximity 1, 0.7 and 0.4;
# anything farther is amber). The clicked point itself is teal, a hue the scale never reaches.
NEAR_STOPS = ((1.0, (285, 0.80, 0.40)), (0.7, (0, 0.80, 0.65)), (0.4, (40, 0.70, 0.60)))
NEAR_LEVELS = 32
ANCHOR_COLOR = "#00897b"


def _hsl_rgb(hue: float, saturation: float, lightness: float) -> tuple[float, float, float]:
    return colorsys.hls_to_rgb(hue / 360, lightness, saturation)


def near_color(proximity: float) -> str:
    """The colour of a neighbour at ``proximity`` (1 = the same point, see :func:`near_levels`)."""
    (p0, hsl0), (p1, hsl1), (p2, hsl2) = NEAR_STOPS
    p = min(max(proximity, p2), p0)
    (hi, a), (lo, b) = ((p0, hsl0), (p1, hsl1)) if p >= p1 else ((p1, hsl1), (p2, hsl2))
    t = (hi - p) / (hi - lo)
    rgb = [x + (y - x) * t for x, y in zip(_hsl_rgb(*a), _hsl_rgb(*b))]  # mixed in RGB, as d3 does
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgb)


def proximity(distances: np.ndarray, metric: str) -> np.ndarray:
    """How near each listed neighbour is, from 1 (as near as can be) down to 0, as TensorBoard colours them.

    Cosine: the similarity ``1 − d`` (0 at and beyond orthogonal). Euclidean: ``d_min / d``, relative to the
    nearest listed neighbour (a distance of 0 is 1).
    """
    if metric not in METRICS:
        raise InputError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
    d = np.asarray(distances, dtype=np.float64)
    if metric == "cosine":
        similarity: np.ndarray = np.clip(1.0 - d, 0.0, 1.0)
        return similarity
    if d.size == 0:
        return d
    relative: np.ndarray = np.clip(np.divide(d.min(), d, out=np.ones_like(d), where=d > 0), 0.0, 1.0)
    return relative


def near_levels(proximity: np.ndarray) -> np.ndarray:
    """Neighbours' proximities (1 = nearest possible) as colour levels 0 (far, pale) to NEAR_LEVELS - 1 (near)."""
    low, high = NEAR_STOPS[-1][0], NEAR_STOPS[0][0]
    scaled = (np.clip(np.asarray(proximity, dtype=np.float64), low, high) - low) / (high - low)
    levels: np.ndarray = np.round(scaled * (NEAR_LEVELS - 1)).astype(np.uint8)
    return levels


NEAR_COLORS = [near_color(0.4 + 0.6 * level / (NEAR_LEVELS - 1)) for level in range(NEAR_LEVELS)]


def styled_palette(palette: list[str]) -> list[str]:
    """A colour encoding's palette followed by the neighbour levels and the clicked point's colour.

    A palette of ``k`` colours puts neighbour level ``l`` at code ``k + l`` and the clicked point at
    ``k + NEAR_LEVELS``.
    """
    return [*palette, *NEAR_COLORS, ANCHOR_COLOR]


def typed_array(values: np.ndarray) -> dict[str, Any]:
    """A plotly.js typed-array spec for a 1-D numeric array (little-endian)."""
    array = np.ascontiguousarray(values)
    if array.dtype not in _DTYPES:
        raise TypeError(f"unsupported dtype {array.dtype} for a typed array")
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {"dtype": _DTYPES[array.dtype], "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


def compact_codes(codes: np.ndarray) -> np.ndarray:
    """Codes as uint8 when they fit (half the bytes), else uint16."""
    return codes.astype(np.uint8) if codes.size == 0 or codes.max() < 256 else codes.astype(np.uint16)


@dataclass
class PointStyle:
    """What colour and size each plotted point has; ``anchor`` is a position in the trace or None."""

    codes: np.ndarray
    sizes: np.ndarray
    palette: list[str]


def point_style(
    encoding: ColorEncoding,
    selected: np.ndarray,
    anchor: int | None,
    dimension: int,
    near: np.ndarray | None = None,
    levels: np.ndarray | None = None,
) -> PointStyle:
    """Colours and sizes for the plotted points given the selection (positions in the trace).

    Selected points keep their colours (or turn red when no column colours them), the rest are dimmed; the
    clicked point's listed neighbours ``near`` take the colour of their ``levels`` (:func:`near_levels`) and
    the clicked point ``anchor`` its own (codes of :func:`styled_palette`). Selected points are larger, the
    clicked one largest.
    """
    codes = highlight(encoding, selected).astype(np.uint16)
    sizes = np.full(encoding.codes.size, POINT_SIZE[dimension], dtype=np.uint8)
    if selected.size:
        sizes[selected] = SELECTED_SIZE[dimension]
    base = len(encoding.palette)
    if near is not None and levels is not None and near.size:
        codes[near] = base + levels.astype(np.uint16)
    if anchor is not None:
        codes[anchor] = base + NEAR_LEVELS
        sizes[anchor] = ANCHOR_SIZE[dimension]
    return PointStyle(compact_codes(codes), sizes, styled_palette(encoding.palette))


def marker_update(style: PointStyle, *, sizes: bool = True) -> dict[str, Any]:
    """The ``marker`` colour properties of a figure: colour codes, colourscale and (optionally) sizes."""
    scale, cmin, cmax = discrete_colorscale(style.palette)
    marker = {
        "color": typed_array(style.codes),
        "colorscale": scale,
        "cmin": cmin,
        "cmax": cmax,
        "showscale": False,
    }
    if sizes:
        marker["size"] = typed_array(style.sizes)
    return marker


def scatter_figure(
    coords: np.ndarray,
    hovertext: list[str],
    style: PointStyle,
    axis_titles: list[str],
    revision: str,
) -> dict[str, Any]:
    """A one-trace 2-D (``scattergl``) or 3-D (``scatter3d``) scatter of every row of ``coords``."""
    dimension = coords.shape[1]
    trace: dict[str, Any] = {
        "type": "scatter3d" if dimension == 3 else "scattergl",
        "mode": "markers",
        "x": typed_array(coords[:, 0].astype(np.float32)),
        "y": typed_array(coords[:, 1].astype(np.float32)),
        "hovertext": hovertext,
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": {
            **marker_update(style),
            "symbol": SYMBOL[dimension],
            "line": {"width": 0},
            "opacity": 0.9 if dimension == 3 else 0.85,
        },
    }
    layout: dict[str, Any] = {
        "uirevision": revision,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": False,
        "hovermode": "closest",
        "clickmode": "event",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "Roboto, Helvetica, Arial, sans-serif", "size": 11},
    }
    if dimension == 3:
        trace["z"] = typed_array(coords[:, 2].astype(np.float32))
        axis = {"showbackground": False, "showspikes": False, "zeroline": False}
        layout["scene"] = {
            "xaxis": {**axis, "title": {"text": axis_titles[0]}},
            "yaxis": {**axis, "title": {"text": axis_titles[1]}},
            "zaxis": {**axis, "title": {"text": axis_titles[2]}},
            "aspectmode": "cube",
        }
    else:
        layout["margin"] = {"l": 40, "r": 10, "t": 10, "b": 40}
        layout["xaxis"] = {"title": {"text": axis_titles[0]}, "zeroline": False}
        layout["yaxis"] = {"title": {"text": axis_titles[1]}, "zeroline": False}
        layout["dragmode"] = "pan"
    return {"data": [trace], "layout": layout}


def empty_figure(message: str) -> dict[str, Any]:
    """A blank plot area carrying a short centred message."""
    return {
        "data": [],
        "layout": {
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
            ],
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        },
    }
