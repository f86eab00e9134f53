"""The scatter adapter: highlights as trace positions, payloads for the browser, tokens that name content."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from projector import scatter
from projector.colors import DIMMED, FIRST_CODE, SELECTED, encode_column, uniform_encoding
from projector.figures import ANCHOR_SIZE, NEAR_COLORS, NEAR_LEVELS, POINT_SIZE, SELECTED_SIZE, styled_palette
from projector.view import View

VIEW = View("run::emb")
ISOLATED = View.of("run::emb", [2, 5, 7, 9])


def decode(spec: dict) -> np.ndarray:
    dtype = {"u1": "<u1", "u2": "<u2", "i4": "<i4"}[spec["dtype"]]
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)


def test_highlight_maps_rows_to_positions_of_the_view():
    whole = scatter.highlight_for(VIEW, np.array([9, 2, 2]), 9)
    assert whole.positions.tolist() == [2, 9] and whole.anchor == 9
    isolated = scatter.highlight_for(ISOLATED, np.array([9, 2, 3]), 9)
    assert isolated.positions.tolist() == [0, 3] and isolated.anchor == 3  # row 3 is not on screen
    assert scatter.highlight_for(ISOLATED, np.array([2]), 4).anchor is None


def test_tokens_name_content():
    a = scatter.highlight_for(VIEW, np.array([1, 2]), None)
    assert a.token == scatter.highlight_for(VIEW, np.array([2, 1]), None).token
    assert a.token != scatter.highlight_for(VIEW, np.array([1, 2]), 1).token
    assert scatter.highlight_for(VIEW, np.array([], dtype=np.int64), None).token == scatter.NO_HIGHLIGHT
    assert scatter.view_token(VIEW) != scatter.view_token(ISOLATED)
    assert scatter.view_token(ISOLATED) == scatter.view_token(View.of("run::emb", [9, 7, 5, 2]))
    enc = encode_column(pd.Series(["a", "b", "a"]))
    assert scatter.style_token(VIEW, enc, "c") != scatter.style_token(VIEW, uniform_encoding(3), None)
    relabelled = encode_column(pd.Series(["a", "a", "b"]))  # same column and palette, other colours
    assert scatter.style_token(VIEW, enc, "c") != scatter.style_token(VIEW, relabelled, "c")


def test_highlight_payload_round_trips_and_ignores_other_views():
    highlight = scatter.highlight_for(VIEW, np.array([4, 1]), 4)
    payload = scatter.highlight_payload(VIEW, highlight)
    assert decode(payload["positions"]).tolist() == [1, 4]
    back = scatter.highlight_from_payload(payload, VIEW)
    assert back.positions.tolist() == [1, 4] and back.anchor == 4 and back.token == highlight.token
    assert scatter.highlight_from_payload(payload, ISOLATED).positions.size == 0
    assert scatter.highlight_from_payload(None, VIEW).positions.size == 0


def test_style_payload_carries_codes_scale_and_sizes():
    enc = encode_column(pd.Series(["x", "y", "y", ""]))
    payload = scatter.style_payload(VIEW, enc, "c")
    assert decode(payload["codes"]).tolist() == enc.codes.tolist()
    assert payload["codes"]["dtype"] == "u1"
    assert payload["dimmed"] == DIMMED and payload["selected"] == SELECTED and not payload["colorless"]
    assert payload["sizes"][3] == {"point": POINT_SIZE[3], "selected": SELECTED_SIZE[3], "anchor": ANCHOR_SIZE[3]}
    assert payload["cmax"] - payload["cmin"] == len(enc.palette) + NEAR_LEVELS + 1
    assert payload["near"] == len(enc.palette) and payload["anchorCode"] == len(enc.palette) + NEAR_LEVELS
    colors = [c for _, c in payload["colorscale"][::2]]
    assert colors == styled_palette(enc.palette)
    assert colors[payload["near"] : payload["anchorCode"]] == NEAR_COLORS


def test_figure_is_drawn_with_its_style_and_tokens():
    enc = uniform_encoding(5)
    highlight = scatter.highlight_for(VIEW, np.array([1, 3]), 3)
    meta = scatter.trace_meta(VIEW, enc, None, highlight, "label")
    fig = scatter.figure(np.zeros((5, 3), np.float32), ["a", "b", "c"], list("vwxyz"), enc, highlight, meta, "r")
    trace = fig["data"][0]
    assert trace["meta"]["highlight"] == highlight.token and trace["meta"]["view"] == scatter.view_token(VIEW)
    anchor = len(enc.palette) + NEAR_LEVELS  # the clicked point has a colour of its own
    assert decode(trace["marker"]["color"]).tolist() == [DIMMED, SELECTED, DIMMED, anchor, DIMMED]
    sizes = decode(trace["marker"]["size"]).tolist()
    assert sizes == [POINT_SIZE[3], SELECTED_SIZE[3], POINT_SIZE[3], ANCHOR_SIZE[3], POINT_SIZE[3]]
    assert FIRST_CODE not in decode(trace["marker"]["color"]).tolist()


def test_neighbours_keep_their_levels_in_view_order():
    near_rows, levels = np.array([7, 3, 5]), np.array([31, 20, 4], dtype=np.uint8)
    whole = scatter.highlight_for(VIEW, np.array([9, 7, 3, 5]), 9, near_rows=near_rows, near_levels=levels)
    assert whole.near.tolist() == [7, 3, 5] and whole.levels.tolist() == [31, 20, 4]
    isolated = scatter.highlight_for(ISOLATED, np.array([9, 7, 3, 5]), 9, near_rows=near_rows, near_levels=levels)
    assert isolated.near.tolist() == [2, 1] and isolated.levels.tolist() == [31, 4]  # row 3 is not on screen
    assert isolated.anchor == 3
    other = scatter.highlight_for(VIEW, np.array([9, 7, 3, 5]), 9, near_rows=near_rows, near_levels=levels[::-1])
    assert other.token != whole.token  # the same points at other distances look different


def test_highlight_payload_round_trips_neighbour_levels():
    highlight = scatter.highlight_for(VIEW, np.array([4, 1, 2]), 4, near_rows=np.array([2, 1]), near_levels=[9, 3])
    payload = scatter.highlight_payload(VIEW, highlight)
    assert decode(payload["near"]).tolist() == [2, 1] and decode(payload["levels"]).tolist() == [9, 3]
    back = scatter.highlight_from_payload(payload, VIEW)
    assert back.near.tolist() == [2, 1] and back.levels.tolist() == [9, 3] and back.token == highlight.token
    older = {k: v for k, v in payload.items() if k not in ("near", "levels")}  # a payload from before levels
    assert scatter.highlight_from_payload(older, VIEW).near.size == 0


def test_figure_colours_neighbours_by_level_and_marks_the_clicked_point():
    enc = encode_column(pd.Series(list("abcab")))
    highlight = scatter.highlight_for(VIEW, np.array([0, 1, 2]), 0, near_rows=np.array([2, 1]), near_levels=[31, 0])
    meta = scatter.trace_meta(VIEW, enc, "c", highlight, "label")
    fig = scatter.figure(np.zeros((5, 2), np.float32), ["a", "b"], list("vwxyz"), enc, highlight, meta, "r")
    marker = fig["data"][0]["marker"]
    base = len(enc.palette)
    assert decode(marker["color"]).tolist() == [base + NEAR_LEVELS, base, base + 31, DIMMED, DIMMED]
    assert marker["cmax"] - marker["cmin"] == base + NEAR_LEVELS + 1
