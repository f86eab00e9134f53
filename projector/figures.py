"""Arrays -> Plotly figure dicts and the small payloads that restyle them.

Numeric arrays travel as plotly.js typed-array specs (``{"dtype", "bdata"}``, base64), which
are about a third the size of JSON lists and decode without parsing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from projector.colors import ColorEncoding, discrete_colorscale, highlight

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


def typed_array(values: np.ndarray) -> dict:
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


def point_style(encoding: ColorEncoding, selected: np.ndarray, anchor: int | None, dimension: int) -> PointStyle:
    """Colours and sizes for the plotted points given the selection (positions in the trace)."""
    codes = highlight(encoding, selected)
    sizes = np.full(encoding.codes.size, POINT_SIZE[dimension], dtype=np.uint8)
    if selected.size:
        sizes[selected] = SELECTED_SIZE[dimension]
    if anchor is not None:
        sizes[anchor] = ANCHOR_SIZE[dimension]
    return PointStyle(compact_codes(codes), sizes, encoding.palette)


def marker_update(style: PointStyle, *, sizes: bool = True) -> dict:
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
) -> dict:
    """A one-trace 2-D (``scattergl``) or 3-D (``scatter3d``) scatter of every row of ``coords``."""
    dimension = coords.shape[1]
    trace: dict = {
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
    layout: dict = {
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


def empty_figure(message: str) -> dict:
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
