import base64

import numpy as np
import pandas as pd
import pytest

from projector.colors import DIMMED, encode_column, uniform_encoding
from projector.errors import InputError
from projector.figures import (
    ANCHOR_COLOR,
    NEAR_COLORS,
    NEAR_LEVELS,
    marker_update,
    near_color,
    near_levels,
    point_style,
    proximity,
    scatter_figure,
    styled_palette,
    typed_array,
)


def decode(spec):
    dtype = {"f4": "<f4", "u1": "u1", "u2": "<u2", "f8": "<f8", "i4": "<i4"}[spec["dtype"]]
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)


def test_typed_array_round_trips():
    values = np.array([1.5, -2.25, 3.0], dtype=np.float32)
    assert np.array_equal(decode(typed_array(values)), values)
    assert typed_array(np.array([1, 2], dtype=np.uint8))["dtype"] == "u1"


def test_scatter_figure_carries_every_point_as_typed_arrays():
    coords = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32)
    style = point_style(uniform_encoding(500), np.array([3, 4]), 3, 3)
    fig = scatter_figure(coords, [str(i) for i in range(500)], style, ["a", "b", "c"], "rev")
    trace = fig["data"][0]
    assert trace["type"] == "scatter3d"
    for axis, column in zip("xyz", coords.T):
        assert np.array_equal(decode(trace[axis]), column)
    sizes = decode(trace["marker"]["size"])
    assert sizes[3] > sizes[4] > sizes[0]
    flat = point_style(uniform_encoding(500), np.array([]), None, 2)
    two_d = scatter_figure(coords[:, :2], ["p"] * 500, flat, ["a", "b"], "r")
    assert two_d["data"][0]["type"] == "scattergl" and "z" not in two_d["data"][0]


def test_recolour_payload_is_small_for_100k_points():
    values = pd.Series(np.random.default_rng(1).choice(list("abcdefghij"), size=100_000))
    style = point_style(encode_column(values), np.array([], dtype=int), None, 3)
    payload = marker_update(style, sizes=False)
    assert payload["color"]["dtype"] == "u1"
    import json

    assert len(json.dumps(payload)) < 200_000


def test_near_levels_run_from_pale_far_to_strong_near():
    levels = near_levels(np.array([1.0, 0.99, 0.7, 0.4, 0.1, -3.0]))
    assert levels.dtype == np.uint8
    assert levels[0] == NEAR_LEVELS - 1 and levels[3] == levels[4] == levels[5] == 0
    assert np.all(np.diff(levels.astype(int)) <= 0)
    assert near_levels(np.array([])).size == 0


def test_near_colours_follow_tensorboards_scale():
    assert near_color(1.0) == "#8f14b8"  # hsl(285, 80%, 40%)
    assert near_color(0.7) == "#ed5e5e"  # hsl(0, 80%, 65%)
    assert near_color(0.4) == "#e0b152" == near_color(0.0)  # hsl(40, 70%, 60%), and farther is the same
    assert NEAR_COLORS[0] == near_color(0.4) and NEAR_COLORS[-1] == near_color(1.0) and len(NEAR_COLORS) == NEAR_LEVELS
    assert ANCHOR_COLOR not in NEAR_COLORS


def test_point_style_colours_neighbours_and_the_clicked_point():
    enc = encode_column(pd.Series(list("ab") * 150))
    style = point_style(enc, np.array([0, 5, 9]), 0, 2, near=np.array([9, 5]), levels=np.array([31, 2], np.uint8))
    base = len(enc.palette)
    assert style.palette == styled_palette(enc.palette)
    assert style.codes[0] == base + NEAR_LEVELS and style.codes[9] == base + 31 and style.codes[5] == base + 2
    assert style.codes[1] == DIMMED and style.sizes[0] > style.sizes[9] > style.sizes[1]
    many = encode_column(pd.Series([f"c{i}" for i in range(240)]))  # 243 colours: the extra ones pass 255
    wide = point_style(many, np.array([1, 2]), 1, 3, near=np.array([2]), levels=np.array([5], np.uint8))
    assert wide.codes.dtype == np.uint16 and wide.codes[1] == len(many.palette) + NEAR_LEVELS


def test_proximity_is_similarity_for_cosine_and_relative_for_euclidean():
    assert proximity(np.array([0.0, 0.25, 1.0, 1.5]), "cosine").tolist() == [1.0, 0.75, 0.0, 0.0]
    assert proximity(np.array([2.0, 4.0, 8.0]), "euclidean").tolist() == [1.0, 0.5, 0.25]
    assert proximity(np.array([0.0, 3.0]), "euclidean").tolist() == [1.0, 0.0]  # a duplicate point: all else is far
    assert proximity(np.array([]), "euclidean").size == 0
    with pytest.raises(InputError, match="cosine, euclidean"):
        proximity(np.array([1.0]), "manhattan")
