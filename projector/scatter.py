"""The scatter-plot adapter: dataset rows, a colour encoding and a selection -> what each point looks like.

The server draws a figure with its style baked in (:func:`projector.figures.point_style`); afterwards every
restyle happens in the browser (``assets/restyle.js``) from two small payloads made here:

* a **style** payload per view and colour column: the base colour codes of the plotted points, the palette
  as a Plotly colourscale and the marker sizes;
* a **highlight** payload per selection: the trace positions of the highlighted points, the clicked one and
  its listed neighbours with their colour levels (nearer = stronger).

Each payload carries a token naming its content, and the figure carries the tokens it was drawn with (in
the trace's ``meta``), so the browser restyles only when what is drawn differs from what is wanted: one
Plotly update per interaction, never one for a figure that already shows it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from projector.clusters import Groups
from projector.colors import DIMMED, SELECTED, ColorEncoding, discrete_colorscale, uniform_encoding
from projector.figures import (
    ANCHOR_SIZE,
    NEAR_LEVELS,
    POINT_SIZE,
    SELECTED_SIZE,
    PointStyle,
    compact_codes,
    point_style,
    scatter_figure,
    styled_palette,
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


_NO_POSITIONS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Highlight:
    """The highlighted points of one view, as trace positions; ``anchor`` is the clicked point's position,
    ``near`` the positions of its listed neighbours and ``levels`` their colour levels (``near_levels``)."""

    positions: np.ndarray
    anchor: int | None = None
    clears_box: bool = False  # a box/lasso drag made it: Plotly's own selection dimming must go
    near: np.ndarray = field(default_factory=lambda: _NO_POSITIONS)
    levels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint8))

    @property
    def token(self) -> str:
        if not self.positions.size:
            return NO_HIGHLIGHT
        return _digest(
            self.positions.astype(np.int64).tobytes(),
            str(self.anchor),
            self.near.astype(np.int64).tobytes(),
            self.levels.astype(np.uint8).tobytes(),
        )


def _on_screen(subset: np.ndarray | None, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trace positions of those dataset ``rows`` that are in view, and which of ``rows`` they are."""
    rows = np.asarray(rows, dtype=np.int64)
    if subset is None:
        return rows, np.ones(rows.size, dtype=bool)
    if subset.size == 0:
        return _NO_POSITIONS, np.zeros(rows.size, dtype=bool)
    pos = np.minimum(np.searchsorted(subset, rows), subset.size - 1)
    kept = subset[pos] == rows
    return pos[kept], kept


def highlight_for(
    view: View,
    rows: np.ndarray,
    anchor_row: int | None,
    clears_box: bool = False,
    near_rows: np.ndarray | None = None,
    near_levels: np.ndarray | None = None,
) -> Highlight:
    """The highlight of dataset ``rows`` (and the clicked ``anchor_row``) in ``view``'s trace order.

    ``near_rows`` are the clicked point's listed neighbours and ``near_levels`` their colour levels; rows out
    of view are left out.
    """
    subset = view.subset
    positions = np.unique(to_positions(subset, np.asarray(rows, dtype=np.int64)))
    anchor = None
    if anchor_row is not None:
        found = to_positions(subset, np.array([anchor_row]))
        anchor = int(found[0]) if found.size else None
    if near_rows is None or near_levels is None:
        return Highlight(positions, anchor, clears_box)
    near, kept = _on_screen(subset, np.asarray(near_rows, dtype=np.int64))
    levels = np.asarray(near_levels, dtype=np.uint8)[kept]
    return Highlight(positions, anchor, clears_box, near, levels)


def highlight_payload(view: View, highlight: Highlight) -> dict[str, Any]:
    """What the browser needs to restyle a selection: positions as typed arrays, the anchor and the token."""
    return {
        "view": view_token(view),
        "positions": typed_array(highlight.positions.astype(np.int32)),
        "anchor": highlight.anchor,
        "near": typed_array(highlight.near.astype(np.int32)),
        "levels": typed_array(highlight.levels.astype(np.uint8)),
        "clearsBox": highlight.clears_box,
        "token": highlight.token,
    }


def _decoded(spec: dict[str, Any] | None, dtype: str) -> np.ndarray:
    if not spec:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)


def highlight_from_payload(payload: dict[str, Any] | None, view: View) -> Highlight:
    """The highlight a payload describes, or none when it was made for another view."""
    if not payload or payload.get("view") != view_token(view):
        return Highlight(_NO_POSITIONS)
    positions = _decoded(payload["positions"], "<i4").astype(np.int64)
    near = _decoded(payload.get("near"), "<i4").astype(np.int64)
    levels = _decoded(payload.get("levels"), "u1").copy()
    return Highlight(positions, payload.get("anchor"), bool(payload.get("clearsBox")), near, levels)


def style_token(view: View, encoding: ColorEncoding, column: str | None) -> str:
    """The token of a view's base style: the colour of every point (codes and palette)."""
    return _digest(view_token(view), str(column), encoding.codes.tobytes(), "|".join(encoding.palette))


def style_payload(view: View, encoding: ColorEncoding, column: str | None) -> dict[str, Any]:
    """What the browser needs to colour a view: base codes, colourscale, highlight codes and sizes (2D, 3D).

    The colourscale spans :func:`projector.figures.styled_palette`: the encoding's colours, then the
    neighbours' levels from ``near`` on, then the clicked point's colour at ``anchorCode``.
    """
    palette = styled_palette(encoding.palette)
    scale, cmin, cmax = discrete_colorscale(palette)
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
        "near": len(encoding.palette),
        "anchorCode": len(encoding.palette) + NEAR_LEVELS,
        "sizes": {d: {"point": POINT_SIZE[d], "selected": SELECTED_SIZE[d], "anchor": ANCHOR_SIZE[d]} for d in (2, 3)},
    }


def styled(encoding: ColorEncoding, highlight: Highlight, dimension: int) -> PointStyle:
    """The point style of a whole figure: the same rule ``assets/restyle.js`` applies in the browser."""
    return point_style(encoding, highlight.positions, highlight.anchor, dimension, highlight.near, highlight.levels)


def trace_meta(
    view: View,
    encoding: ColorEncoding,
    column: str | None,
    highlight: Highlight,
    label_by: str | None,
    metadata_hash: str = "",
) -> dict[str, Any]:
    """The tokens a figure is drawn with, kept in its trace's ``meta`` for the browser to compare."""
    return {
        "view": view_token(view),
        "style": style_token(view, encoding, column),
        "highlight": highlight.token,
        "labels": labels_token(view, label_by, metadata_hash),
    }


def labels_token(view: View, column: str | None, metadata_hash: str = "") -> str:
    """The token of the hover labels a view shows from ``column`` of the metadata table ``metadata_hash``."""
    return _digest(view_token(view), str(column), metadata_hash)


def revision(view: View, projection: str | None, dimension: int) -> str:
    """The figure's ``uirevision``: the camera and zoom are kept while the tensor, projection and dimension are."""
    return f"{view.tensor}|{projection}|{dimension}"


def cluster_payload(view: View, found: Groups, metadata_hash: str = "") -> dict[str, Any] | None:
    """Each plotted point's cluster and each cluster's name and size, for the names drawn on the plot
    (``assets/clusters.js``); None when the view's points have no clusters."""
    if not found.names:
        return None
    token = _digest(view_token(view), "clusters", metadata_hash, *found.values)
    return {
        "view": view_token(view),
        "token": token,
        "codes": typed_array(found.codes.astype(np.int32)),
        "names": found.names,
        "sizes": found.sizes,
    }


def labels_payload(view: View, column: str | None, labels: list[str], metadata_hash: str = "") -> dict[str, Any]:
    """The hover labels of a view's points, for the browser to restyle with."""
    return {"view": view_token(view), "token": labels_token(view, column, metadata_hash), "hovertext": labels}


def figure(
    coords: np.ndarray,
    titles: list[str],
    labels: list[str],
    encoding: ColorEncoding,
    highlight: Highlight,
    meta: dict[str, Any],
    revision: str,
) -> dict[str, Any]:
    """The whole figure of a view: coordinates, hover labels and the style of ``highlight``, with its tokens."""
    fig = scatter_figure(coords, labels, styled(encoding, highlight, coords.shape[1]), titles, revision=revision)
    fig["data"][0]["meta"] = meta
    return fig


def frame_payload(view: View, coords: np.ndarray, titles: list[str], projection: str, iteration: int) -> dict[str, Any]:
    """A streamed layout as a figure without per-point style or labels: the browser keeps those of the view.

    Every frame is whole (a browser polling for progress may miss some); it restyles only the coordinates
    when the drawn trace already shows this projection.
    """
    empty = Highlight(_NO_POSITIONS)
    style = styled(uniform_encoding(len(coords)), empty, coords.shape[1])
    fig = scatter_figure(coords, [], style, titles, revision(view, projection, coords.shape[1]))
    trace = fig["data"][0]
    del trace["hovertext"]
    for name in ("color", "size", "colorscale", "cmin", "cmax", "showscale"):
        trace["marker"].pop(name, None)
    trace["meta"] = {"view": view_token(view), "projection": projection}
    return {"view": view_token(view), "projection": projection, "iteration": iteration, "figure": fig}
