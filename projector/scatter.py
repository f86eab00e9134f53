"""The scatter-plot adapter: dataset rows, a colour encoding and a selection -> what each point looks like.

The server draws a figure with its style baked in (:func:`projector.figures.point_style`); afterwards every
restyle happens in the browser (``assets/scatter.js``) from two small payloads made here:

* a **style** payload per view and colour column: the base colour codes of the plotted points, the palette
  as a Plotly colourscale and the marker sizes;
* a **highlight** payload per selection: the trace positions of the highlighted points and the clicked one.

Each payload carries a token naming its content, and the figure carries the tokens it was drawn with (in
the trace's ``meta``), so the browser restyles only when what is drawn differs from what is wanted: one
Plotly update per interaction, never one for a figure that already shows it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import numpy as np

from projector.colors import DIMMED, SELECTED, ColorEncoding, discrete_colorscale, uniform_encoding
from projector.figures import (
    ANCHOR_SIZE,
    POINT_SIZE,
    SELECTED_SIZE,
    PointStyle,
    compact_codes,
    point_style,
    scatter_figure,
    typed_array,
)
from projector.view import View, to_positions

NO_HIGHLIGHT = ""  # the token of an empty highlight


def view_token(view: View) -> str:
    """A short name of a view (tensor and isolated subset): the identity of a trace's point order."""
    return view.token


def _digest(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


@dataclass(frozen=True)
class Highlight:
    """The highlighted points of one view, as trace positions; ``anchor`` is the clicked point's position."""

    positions: np.ndarray
    anchor: int | None = None
    clears_box: bool = False  # a box/lasso drag made it: Plotly's own selection dimming must go

    @property
    def token(self) -> str:
        if not self.positions.size:
            return NO_HIGHLIGHT
        return _digest(self.positions.astype(np.int64).tobytes(), str(self.anchor))


def highlight_for(view: View, rows: np.ndarray, anchor_row: int | None, clears_box: bool = False) -> Highlight:
    """The highlight of dataset ``rows`` (and the clicked ``anchor_row``) in ``view``'s trace order."""
    subset = view.subset
    positions = np.unique(to_positions(subset, np.asarray(rows, dtype=np.int64)))
    anchor = None
    if anchor_row is not None:
        found = to_positions(subset, np.array([anchor_row]))
        anchor = int(found[0]) if found.size else None
    return Highlight(positions, anchor, clears_box)


def highlight_payload(view: View, highlight: Highlight) -> dict:
    """What the browser needs to restyle a selection: positions as a typed array, the anchor and the token."""
    return {
        "view": view_token(view),
        "positions": typed_array(highlight.positions.astype(np.int32)),
        "anchor": highlight.anchor,
        "clearsBox": highlight.clears_box,
        "token": highlight.token,
    }


def highlight_from_payload(payload: dict | None, view: View) -> Highlight:
    """The highlight a payload describes, or none when it was made for another view."""
    if not payload or payload.get("view") != view_token(view):
        return Highlight(np.empty(0, dtype=np.int64))
    spec = payload["positions"]
    positions = np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<i4").astype(np.int64)
    return Highlight(positions, payload.get("anchor"), bool(payload.get("clearsBox")))


def style_token(view: View, encoding: ColorEncoding, column: str | None) -> str:
    """The token of a view's base style: the colour of every point (codes and palette)."""
    return _digest(view_token(view), str(column), encoding.codes.tobytes(), "|".join(encoding.palette))


def style_payload(view: View, encoding: ColorEncoding, column: str | None) -> dict:
    """What the browser needs to colour a view: base codes, colourscale, highlight codes and sizes (2D, 3D)."""
    scale, cmin, cmax = discrete_colorscale(encoding.palette)
    return {
        "view": view_token(view),
        "token": style_token(view, encoding, column),
        "codes": typed_array(compact_codes(encoding.codes)),
        "colorscale": scale,
        "cmin": cmin,
        "cmax": cmax,
        "colorless": encoding.kind == "none",
        "dimmed": DIMMED,
        "selected": SELECTED,
        "sizes": {d: {"point": POINT_SIZE[d], "selected": SELECTED_SIZE[d], "anchor": ANCHOR_SIZE[d]} for d in (2, 3)},
    }


def styled(encoding: ColorEncoding, highlight: Highlight, dimension: int) -> PointStyle:
    """The point style of a whole figure: the same rule ``assets/scatter.js`` applies in the browser."""
    return point_style(encoding, highlight.positions, highlight.anchor, dimension)


def trace_meta(
    view: View, encoding: ColorEncoding, column: str | None, highlight: Highlight, label_by: str | None
) -> dict:
    """The tokens a figure is drawn with, kept in its trace's ``meta`` for the browser to compare."""
    return {
        "view": view_token(view),
        "style": style_token(view, encoding, column),
        "highlight": highlight.token,
        "labels": labels_token(view, label_by),
    }


def labels_token(view: View, column: str | None) -> str:
    """The token of the hover labels a view shows from ``column``."""
    return _digest(view_token(view), str(column))


def revision(view: View, projection: str | None, dimension: int) -> str:
    """The figure's ``uirevision``: the camera and zoom are kept while the tensor, projection and dimension are."""
    return f"{view.tensor}|{projection}|{dimension}"


def labels_payload(view: View, column: str | None, labels: list[str]) -> dict:
    """The hover labels of a view's points, for the browser to restyle with."""
    return {"view": view_token(view), "token": labels_token(view, column), "hovertext": labels}


def figure(
    coords: np.ndarray,
    titles: list[str],
    labels: list[str],
    encoding: ColorEncoding,
    highlight: Highlight,
    meta: dict,
    revision: str,
) -> dict:
    """The whole figure of a view: coordinates, hover labels and the style of ``highlight``, with its tokens."""
    fig = scatter_figure(coords, labels, styled(encoding, highlight, coords.shape[1]), titles, revision=revision)
    fig["data"][0]["meta"] = meta
    return fig


def frame_payload(view: View, coords: np.ndarray, titles: list[str], projection: str, iteration: int) -> dict:
    """A streamed layout as a figure without per-point style or labels: the browser keeps those of the view.

    Every frame is whole (a browser polling for progress may miss some); it restyles only the coordinates
    when the drawn trace already shows this projection.
    """
    empty = Highlight(np.empty(0, dtype=np.int64))
    style = styled(uniform_encoding(len(coords)), empty, coords.shape[1])
    fig = scatter_figure(coords, [], style, titles, revision(view, projection, coords.shape[1]))
    trace = fig["data"][0]
    del trace["hovertext"]
    for name in ("color", "size", "colorscale", "cmin", "cmax", "showscale"):
        trace["marker"].pop(name, None)
    trace["meta"] = {"view": view_token(view), "projection": projection}
    return {"view": view_token(view), "projection": projection, "iteration": iteration, "figure": fig}
